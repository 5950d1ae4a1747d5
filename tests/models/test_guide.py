"""The quick-start guide's bodies, verbatim, and tests that read each response into the models.

Source: ../shared/reference/quick-start-guide-weseedo-personal.txt. test_services*.py loads this
module by path to reuse the bodies as canned replies.
"""

# ruff: noqa: E501  (the guide's participant links are longer than a line; kept verbatim)

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from weseedo_async._converter import structure
from weseedo_async.models import (
    AutoLogin,
    Company,
    CompanyRef,
    Contact,
    Dealer,
    Entity,
    Meeting,
    NotificationContact,
    Package,
    Participant,
    Reseller,
    Site,
    SiteRef,
    User,
    UserRef,
)

DEALER_REQUEST: dict[str, Any] = {'name': 'Test Dealer 1',
 'contact': {'first_name': 'WeSeeDo',
             'last_name': 'Developer',
             'email': 'developer@weseedo.nl',
             'phone': '+31612345678',
             'language': 'nl'},
 'notification_contact': {'email': 'developer@weseedo.nl'}}

DEALER_REPLY: dict[str, Any] = {'success': True,
 'result': {'id': '5f0dda72990b490eec31cb40',
            'name': 'Test Dealer 1',
            'contact': {'id': '5f0dda72990b490eec31cb41',
                        'first_name': 'Dev',
                        'last_name': 'Eloper',
                        'email': 'dealer1@weseedo.nl',
                        'phone': '+31612345678',
                        'language': 'nl'},
            'notification_contact': {'id': '5f0dda72990b490eec31cb42',
                                     'email': 'developer@weseedo.nl'},
            'reseller': {'id': '51abbd02e138231d7d1d8811',
                         'name': 'reseller 1',
                         'contact': {'id': '51bbbd02e138231d7d1d8811',
                                     'first_name': 're',
                                     'last_name': 'seller1',
                                     'email': 'reseller1@weseedo.nl',
                                     'phone': '0612345678',
                                     'language': 'nl'},
                         'suspended': False},
            'suspended': False}}

COMPANY_REQUEST: dict[str, Any] = {'name': 'Test Company 1',
 'contact': {'first_name': 'Developer',
             'last_name': 'Developersen',
             'email': 'developer123@weseedo.nl',
             'phone': '+31612345678',
             'language': 'nl'},
 'package': '594a5befcc9d4f9e2f1da19a',
 'dealer': '5f0dda72990b490eec31cb40'}

COMPANY_REPLY: dict[str, Any] = {'success': True,
 'result': {'id': '5f0ddd29990b490eec31cb4b',
            'name': 'Test Company 1',
            'contact': {'id': '5f0ddd29990b490eec31cb4c',
                        'first_name': 'Developer',
                        'last_name': 'Developersen',
                        'email': 'developer123@weseedo.nl',
                        'phone': '+31612345678',
                        'language': 'nl'},
            'package': {'id': '594a5befcc9d4f9e2f1da19a',
                        'name': 'premium',
                        'features': ['weseedo_personal',
                                     'weseedo_direct',
                                     'weseedo_direct_2way',
                                     'chat',
                                     'agent_create_appointment',
                                     'weseedo_personal_sms',
                                     'button',
                                     'forward',
                                     'multiple_participants',
                                     'appointment',
                                     'send_file',
                                     'screenshot',
                                     'presentation_pdf',
                                     'presentation_powerpoint',
                                     'screensharing',
                                     'cobrowsing_simple',
                                     'convert_file',
                                     'waitingroom']},
            'dealer': {'id': '5f0dda72990b490eec31cb40',
                       'name': 'Test Dealer 1',
                       'contact': {'id': '5f0dda72990b490eec31cb41',
                                   'first_name': 'Dev',
                                   'last_name': 'Eloper',
                                   'email': 'dealer1@weseedo.nl',
                                   'phone': '+31612345678',
                                   'language': 'nl'},
                       'notification_contact': {'id': '5f0dda72990b490eec31cb42',
                                                'email': 'developer@weseedo.nl'},
                       'suspended': False},
            'suspended': False}}

USER_REQUEST: dict[str, Any] = {'first_name': 'Test',
 'last_name': 'Agent',
 'email': 'testagent1@weseedo.nl',
 'password': 'StrongPassword123!',
 'locale': 'nl',
 'role': 'agent',
 'entity': {'type': 'company', 'id': '5f0ddd29990b490eec31cb4b'}}

USER_REPLY: dict[str, Any] = {'success': True,
 'result': {'id': '5f0dded4990b490eec31cb63',
            'first_name': 'Test',
            'last_name': 'Agent',
            'name': 'Test Agent',
            'email': 'testagent1@weseedo.nl',
            'photo': None,
            'locale': 'nl',
            'role': 'agent',
            'created_at': '2020-07-14T16:35:32.356Z',
            'sites': [],
            'entity': {'type': 'company',
                       'id': '5f0ddd29990b490eec31cb4b',
                       'name': 'Test Company 1',
                       'package': {'id': '594a5befcc9d4f9e2f1da19a',
                                   'name': 'premium',
                                   'features': ['weseedo_personal',
                                                'weseedo_direct',
                                                'weseedo_direct_2way',
                                                'chat',
                                                'agent_create_appointment',
                                                'weseedo_personal_sms',
                                                'button',
                                                'forward',
                                                'multiple_participants',
                                                'appointment',
                                                'send_file',
                                                'screenshot',
                                                'presentation_pdf',
                                                'presentation_powerpoint',
                                                'screensharing',
                                                'cobrowsing_simple',
                                                'convert_file',
                                                'waitingroom']}},
            'suspended': False}}

SITE_REQUEST: dict[str, Any] = {'name': 'Test Site 1',
 'users': ['5f0dded4990b490eec31cb63'],
 'videochat_font_type': 'Roboto',
 'videochat_text_color': '#000000',
 'company': '5f0ddd29990b490eec31cb4b'}

SITE_REPLY: dict[str, Any] = {'success': True,
 'result': {'id': '5f0de0e0990b490eec31cb7c',
            'name': 'Test Site 1',
            'company': {'id': '5f0ddd29990b490eec31cb4b',
                        'name': 'Test Company 1',
                        'contact': {'id': '5f0ddd29990b490eec31cb4c',
                                    'first_name': 'Developer',
                                    'last_name': 'Developersen',
                                    'email': 'developer123@weseedo.nl',
                                    'phone': '+31612345678',
                                    'language': 'nl'},
                        'suspended': False},
            'logo': None,
            'waitingroom_background': None,
            'users': [{'id': '5f0dded4990b490eec31cb63',
                       'first_name': 'Test',
                       'last_name': 'Agent',
                       'name': 'Test Agent',
                       'email': 'testagent1@weseedo.nl',
                       'photo': None,
                       'locale': 'nl',
                       'role': 'agent',
                       'created_at': '2020-07-14T16:35:32.356Z',
                       'entity': {'type': 'company',
                                  'id': '5f0ddd29990b490eec31cb4b',
                                  'name': 'Test Company 1'},
                       'suspended': False}],
            'videochat_font_type': 'Roboto,sans-serif',
            'videochat_text_color': '#000000',
            'email_invite_text': 'Hierbij stuur ik u de bevestiging voor ons online WeSeeDo- '
                                 'gesprek. Op de aangegeven datum en tijd klikt u op de link '
                                 'in deze e- mail. Vervolgens zal het WeSeeDo- gesprek op uw '
                                 'scherm verschijnen en kunnen we het gesprek starten. Tot '
                                 'binnenkort!',
            'email_cancel_text': 'Indien het tijdstip van uw afspraak gewijzigd is, dan '
                                 'ontvangt u ee n nieuwe uitnodiging per e-mail. De e-mail '
                                 'met de oude uitnodiging kunt u in dit geval verwijderen.',
            'email_hardwaretest_text': 'U kunt via de onderstaande link controleren of uw '
                                       'hardwar e geschikt is voor het gebruik van WeSeeDo.',
            'email_enable_hardwaretest': False}}

AUTOLOGIN_REQUEST: dict[str, Any] = {'agent': '5f0dded4990b490eec31cb63', 'product': 'personal'}

AUTOLOGIN_REPLY: dict[str, Any] = {'success': True,
 'result': {'url': 'https://sandbox.weseedo.nl/login/facd29e4158ad202333936854859952773bd0513d612d8e4be5dbe86cecd88a5'}}

MEETING_REQUEST: dict[str, Any] = {'site': '5f0de0e0990b490eec31cb7c',
 'agent': '5f0dded4990b490eec31cb63',
 'is_appointment': True,
 'time_start': '2025-03-18T14:15:00.000Z',
 'time_end': '2025-03-18T15:15:00.000Z',
 'participants': [{'name': 'Participant 1',
                   'email': 'visitor1@participant.nl',
                   'phone': '+31612312312'},
                  {'name': 'Participant 2',
                   'email': 'visitor2@participant.nl',
                   'phone': '+31612312312'}],
 'subject': 'Meeting',
 'invitation': 'Hereby I send you the confirmation for our online video call. On the '
               'specified date and time you can click the link in this email. The video call '
               'will appear on your screen and we can start the conversation. See you soon!',
 'invitation_sms': 'Click on the link to join.',
 'send_email': True,
 'send_sms': True}

MEETING_REPLY: dict[str, Any] = {'success': True,
 'result': {'id': '6bbf64a9e13844d1d140d6e2',
            'company': {'id': '5f0ddd29990b490eec31cb4b',
                        'name': 'Test Company 1',
                        'contact': {'id': '5f0ddd29990b490eec31cb4c',
                                    'first_name': 'Developer',
                                    'last_name': 'Developersen',
                                    'email': 'developer123@weseedo.nl',
                                    'phone': '+31612345678',
                                    'language': 'nl'},
                        'suspended': False},
            'room_id': '9Pusrq3Do43DAEQnOG9aCtLFfl2FoURd',
            'room_password': 'O0p48P2TuMavG0EAtMSdpy4PbkO2h2',
            'chat_duration': 0,
            'is_appointment': True,
            'room_created': '2025-03-18T14:15:00.000Z',
            'room_available_from': '2025-03-18T14:15:00.000Z',
            'room_available_till': '2025-03-18T15:15:00.000Z',
            'timezone_offset': 0,
            'created_by': {'id': '5f0dded4990b490eec31cb63', 'name': 'Test Agent'},
            'site': {'id': '5f0de0e0990b490eec31cb7c', 'name': 'Test Site 1'},
            'subject': 'Meeting',
            'invitation': 'Hereby I send you the confirmation for our online video call. On '
                          'the specified date and time you can click the link in this email. '
                          'The video call will appear on your screen and we can start the '
                          'conversation. See you soon!',
            'participants': [{'username': 'agent.89f6aa406a2307a38da39a4r',
                              'name': 'Test Agent',
                              'id': '5aedbd02e138231a7c1d7719',
                              'user': '5f0dded4990b490eec31cb63',
                              'email': 'testagent1@weseedo.nl',
                              'initial_participant': True,
                              'hash': 'qj7OqoxSt2zK6S16my8VZ28N1IigzvNl_jMz42wlA8Dj59DKV0G8zAc6PJ8LvWiHx',
                              'url': 'https://sandbox.weseedo.nl/meeting/qj7OqoxSt2zK6S16my8VZ28N1IigzvNl_jMz42wlA8Dj59DKV0G8zAc6PJ8LvWiHx'},
                             {'username': 'visitor.Cxo9uuYVYFAJDW47',
                              'name': 'Participant 1',
                              'id': '5aedbd02e138231a7c1d7820',
                              'email': 'visitor1@participant.nl',
                              'phone': '+31612312312',
                              'initial_participant': True,
                              'hash': 'wCPjvYM7yf7KBwGVU0OsFG6DVBAGqZ5s_6PFMcsoR0GBeKIF8AhkngSqUy9UXBubA',
                              'url': 'https://sandbox.weseedo.nl/meeting/wCPjvYM7yf7KBwGVU0OsFG6DVBAGqZ5s_6PFMcsoR0GBeKIF8AhkngSqUy9UXBubA'},
                             {'username': 'visitor.Cxo9uuYVYFAJDW48',
                              'name': 'Participant 2',
                              'id': '5aedbd02e138231a7c1d7820',
                              'email': 'visitor2@participant.nl',
                              'phone': '+31612312312',
                              'initial_participant': True,
                              'hash': 'wCPjvYM7yf7KBwGVU0OsFG6DVBAGqZ5s_6PFMcsoR0GBeKIF8AhkngSqUy9UXBubB',
                              'url': 'https://sandbox.weseedo.nl/meeting/wCPjvYM7yf7KBwGVU0OsFG6DVBAGqZ5s_6PFMcsoR0GBeKIF8AhkngSqUy9UXBubB'}]}}


PREMIUM_FEATURES = (
    "weseedo_personal", "weseedo_direct", "weseedo_direct_2way", "chat",
    "agent_create_appointment", "weseedo_personal_sms", "button", "forward",
    "multiple_participants", "appointment", "send_file", "screenshot", "presentation_pdf",
    "presentation_powerpoint", "screensharing", "cobrowsing_simple", "convert_file", "waitingroom",
)  # fmt: skip


def test_dealer_reply() -> None:
    dealer = structure(DEALER_REPLY["result"], Dealer)
    assert dealer == Dealer(
        id="5f0dda72990b490eec31cb40",
        name="Test Dealer 1",
        contact=Contact(
            id="5f0dda72990b490eec31cb41", first_name="Dev", last_name="Eloper",
            email="dealer1@weseedo.nl", phone="+31612345678", language="nl",
        ),
        notification_contact=NotificationContact(
            id="5f0dda72990b490eec31cb42", email="developer@weseedo.nl"
        ),
        reseller=Reseller(
            id="51abbd02e138231d7d1d8811",
            name="reseller 1",
            contact=Contact(
                id="51bbbd02e138231d7d1d8811", first_name="re", last_name="seller1",
                email="reseller1@weseedo.nl", phone="0612345678", language="nl",
            ),
            suspended=False,
        ),
        suspended=False,
    )  # fmt: skip


def test_company_reply() -> None:
    company = structure(COMPANY_REPLY["result"], Company)
    assert company.id == "5f0ddd29990b490eec31cb4b"
    assert company.name == "Test Company 1"
    assert company.contact is not None
    assert company.contact.email == "developer123@weseedo.nl"
    assert company.package == Package(
        id="594a5befcc9d4f9e2f1da19a", name="premium", features=PREMIUM_FEATURES
    )
    assert company.dealer is not None
    assert company.dealer.id == "5f0dda72990b490eec31cb40"
    assert company.dealer.reseller is None  # the short dealer has none
    assert company.dealer.notification_contact == NotificationContact(
        id="5f0dda72990b490eec31cb42", email="developer@weseedo.nl"
    )
    assert company.suspended is False


def test_user_reply() -> None:
    user = structure(USER_REPLY["result"], User)
    assert user.id == "5f0dded4990b490eec31cb63"
    assert (user.first_name, user.last_name, user.name) == ("Test", "Agent", "Test Agent")
    assert user.email == "testagent1@weseedo.nl"
    assert user.photo is None
    assert (user.locale, user.role) == ("nl", "agent")
    assert user.created_at == datetime(2020, 7, 14, 16, 35, 32, 356000, tzinfo=timezone.utc)
    assert user.created_at.utcoffset() is not None
    assert user.sites == ()
    assert user.entity == Entity(
        type="company",
        id="5f0ddd29990b490eec31cb4b",
        name="Test Company 1",
        package=Package(id="594a5befcc9d4f9e2f1da19a", name="premium", features=PREMIUM_FEATURES),
    )
    assert user.suspended is False
    assert user.status is None


def test_site_reply() -> None:
    site = structure(SITE_REPLY["result"], Site)
    assert site.id == "5f0de0e0990b490eec31cb7c"
    assert site.name == "Test Site 1"
    assert isinstance(site.company, CompanyRef)
    assert site.company.id == "5f0ddd29990b490eec31cb4b"
    assert site.company.suspended is False
    assert site.logo is None
    assert site.waitingroom_background is None
    assert site.users is not None
    assert len(site.users) == 1
    agent = site.users[0]
    assert agent.id == "5f0dded4990b490eec31cb63"
    assert agent.sites is None  # not sent for users nested in a site
    assert agent.entity == Entity(
        type="company", id="5f0ddd29990b490eec31cb4b", name="Test Company 1"
    )
    assert site.videochat_font_type == "Roboto,sans-serif"
    assert site.videochat_text_color == "#000000"
    assert site.email_invite_text is not None
    assert site.email_invite_text.startswith("Hierbij stuur ik u")
    assert site.email_cancel_text is not None
    assert site.email_hardwaretest_text is not None
    assert site.email_enable_hardwaretest is False


def test_autologin_reply() -> None:
    login = structure(AUTOLOGIN_REPLY["result"], AutoLogin)
    assert login.url == AUTOLOGIN_REPLY["result"]["url"]
    assert "facd29e4" not in repr(login)


def test_meeting_reply() -> None:
    meeting = structure(MEETING_REPLY["result"], Meeting)
    utc = timezone.utc
    assert meeting.id == "6bbf64a9e13844d1d140d6e2"
    assert meeting.company is not None
    assert meeting.company.name == "Test Company 1"
    assert meeting.room_id == "9Pusrq3Do43DAEQnOG9aCtLFfl2FoURd"
    assert meeting.room_password == "O0p48P2TuMavG0EAtMSdpy4PbkO2h2"
    assert meeting.chat_duration == 0
    assert meeting.is_appointment is True
    assert meeting.room_created == datetime(2025, 3, 18, 14, 15, tzinfo=utc)
    assert meeting.room_available_from == datetime(2025, 3, 18, 14, 15, tzinfo=utc)
    assert meeting.room_available_till == datetime(2025, 3, 18, 15, 15, tzinfo=utc)
    assert meeting.timezone_offset == 0
    assert meeting.created_by == UserRef(id="5f0dded4990b490eec31cb63", name="Test Agent")
    assert meeting.site == SiteRef(id="5f0de0e0990b490eec31cb7c", name="Test Site 1")
    assert meeting.subject == "Meeting"
    assert meeting.invitation is not None
    assert meeting.participants is not None
    assert len(meeting.participants) == 3
    agent, first, second = meeting.participants
    assert agent.user == "5f0dded4990b490eec31cb63"
    assert agent.phone is None
    assert agent.hash == "qj7OqoxSt2zK6S16my8VZ28N1IigzvNl_jMz42wlA8Dj59DKV0G8zAc6PJ8LvWiHx"
    assert first == Participant(
        username="visitor.Cxo9uuYVYFAJDW47",
        name="Participant 1",
        id="5aedbd02e138231a7c1d7820",
        email="visitor1@participant.nl",
        phone="+31612312312",
        initial_participant=True,
        hash="wCPjvYM7yf7KBwGVU0OsFG6DVBAGqZ5s_6PFMcsoR0GBeKIF8AhkngSqUy9UXBubA",
        url="https://sandbox.weseedo.nl/meeting/wCPjvYM7yf7KBwGVU0OsFG6DVBAGqZ5s_6PFMcsoR0GBeKIF8AhkngSqUy9UXBubA",
    )
    assert second.user is None


def test_meeting_repr_hides_every_secret() -> None:
    meeting = structure(MEETING_REPLY["result"], Meeting)
    text = repr(meeting)
    assert "O0p48P2TuMavG0EAtMSdpy4PbkO2h2" not in text
    for participant in MEETING_REPLY["result"]["participants"]:
        assert participant["hash"] not in text
        assert participant["url"] not in text
    assert "9Pusrq3Do43DAEQnOG9aCtLFfl2FoURd" in text  # the room id is not a secret
