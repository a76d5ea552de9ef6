"""Texts of the web pages, Dutch and English (B1 level; "je" in Dutch, "you" in English).

Consent questions are not here: they come from ``core.texts.wording`` so that what the page
shows is exactly what the ledger records.
"""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "nl": {
        "privacy": "Privacyverklaring",
        "privacy_link": "privacyverklaring",
        "skip": "Naar de inhoud",
        "other_language": "English",
        "error_title": "Er ging iets mis",
        "not_found_title": "Niet gevonden",
        "not_found": "Deze pagina bestaat niet.",
        "server_error": "Er ging bij ons iets mis. Probeer het later nog eens; er is niets verloren gegaan.",
        "home_title": "Een coach aanvragen",
        "home_text": (
            "Via deze dienst vraag je een coach aan. Je hulpvraag wordt geanonimiseerd voordat coaches hem"
            " lezen; je contactgegevens gaan pas naar één coach als jullie allebei ja zeggen."
        ),
        "link_invalid_title": "Deze link klopt niet",
        "link_invalid": (
            "Deze link is niet geldig. Misschien is hij niet helemaal gekopieerd. Open de link nog eens"
            " vanuit de e-mail."
        ),
        "link_expired_title": "Deze link is verlopen",
        "link_expired": "Deze link is verlopen. Er is niets veranderd.",
        "gone_title": "Niet meer beschikbaar",
        "request_gone": (
            "Deze hulpvraag is er niet meer. Een hulpvraag per e-mail die niet op tijd is bevestigd,"
            " verwijderen we. Je kunt altijd een nieuwe e-mail sturen."
        ),
        "offer_gone": "Deze hulpvraag is er niet meer.",
        "bad_form": (
            "Dit formulier is niet volledig verstuurd. Open de pagina opnieuw en probeer het nog eens."
        ),
        "form_problem": "Er ontbreekt nog iets",
        # confirmation page
        "confirm_title": "Je hulpvraag bevestigen",
        "confirm_intro": (
            "Je stuurde ons een e-mail met een hulpvraag (referentie {reference}). Je vraag gaat pas naar"
            " coaches als je hieronder bevestigt."
        ),
        "confirm_text_heading": "Zo lezen coaches je vraag",
        "confirm_text_note": (
            "Namen, contactgegevens en andere dingen die naar jou leiden, hebben we weggehaald. Klopt er iets"
            " niet? Verwijder deze vraag dan onderaan en stuur ons een nieuwe e-mail."
        ),
        "confirm_privacy": "Lees eerst hoe we met je gegevens omgaan in onze",
        "topic_label": "Onderwerp",
        "consents_legend": "Je toestemming",
        "required": "Nodig om je vraag te versturen.",
        "required_special": "Nodig voor deze vraag: we zien dat hij over een gevoelig onderwerp gaat.",
        "optional": "Niet verplicht.",
        "missing_contact_handover": (
            "Zonder toestemming om je e-mailadres aan één coach te geven, kan geen coach contact met je"
            " opnemen. Vink dit aan om je vraag te versturen."
        ),
        "missing_special_category": (
            "Je vraag gaat over een gevoelig onderwerp. Zonder je uitdrukkelijke toestemming bewaren we die"
            " tekst niet. Vink dit aan, of verwijder deze vraag en stuur een nieuwe e-mail zonder die"
            " informatie."
        ),
        "stale_wording": "De tekst van een toestemming is net veranderd. Lees hem opnieuw en kies nog eens.",
        "confirm_button": "Bevestig en verstuur mijn vraag",
        "delete_text": "Wil je deze vraag toch niet versturen? Dan verwijderen we hem meteen.",
        "delete_button": "Verwijder deze vraag",
        "expires": "Bevestig je niet vóór {date}, dan verwijderen we je vraag.",
        "confirmed_title": "Je vraag is verstuurd",
        "confirmed": (
            "Dank je wel. Je vraag {reference} staat nu klaar voor onze coaches. Zodra een coach je vraag"
            " aanneemt, krijg je een e-mail."
        ),
        "newsletter_pending": (
            "Je krijgt ook een e-mail om je aanmelding voor de nieuwsbrief te bevestigen. Pas daarna ben je"
            " aangemeld."
        ),
        "already_confirmed_title": "Al bevestigd",
        "already_confirmed": "Deze vraag is al bevestigd en verstuurd. Je hoeft niets meer te doen.",
        "deleted_title": "Je vraag is verwijderd",
        "deleted": "We hebben je vraag {reference} verwijderd. Je kunt altijd een nieuwe e-mail sturen.",
        # offer page (coaches)
        "offer_title": "Hulpvraag {reference}",
        "offer_meta_topic": "Onderwerp",
        "offer_meta_language": "Taal",
        "offer_text_note": "De tekst is geanonimiseerd.",
        "offer_accept": "Aannemen",
        "offer_decline": "Niet voor mij",
        "offer_accepted": (
            "Je hebt deze hulpvraag aangenomen. Zodra de kandidaat bevestigt, krijg je de contactgegevens"
            " per e-mail."
        ),
        "offer_declined": "Je hebt aangegeven dat deze hulpvraag niet bij je past. Dank je wel.",
        "offer_taken": "Een andere coach heeft deze hulpvraag al aangenomen. Je hoeft niets te doen.",
        "offer_closed": "Deze hulpvraag is niet meer beschikbaar. Je hoeft niets te doen.",
        # match page (candidates)
        "match_title": "Een coach wil je helpen",
        "match_intro": "{coach} wil je helpen met je hulpvraag {reference}.",
        "match_question": (
            "Wil je verder met {coach}? Dan geven we je contactgegevens aan deze coach, en aan niemand"
            " anders. Kies je liever een andere coach, dan bieden we je vraag opnieuw aan."
        ),
        "match_yes": "Ja, deel mijn gegevens met deze coach",
        "match_no": "Nee, liever een andere coach",
        "match_confirmed": (
            "We hebben je contactgegevens aan {coach} gegeven. Deze coach neemt contact met je op."
        ),
        "match_declined": (
            "We geven je gegevens niet aan deze coach. We bieden je vraag {reference} opnieuw aan andere"
            " coaches aan."
        ),
        "match_closed": "Deze vraag is niet meer actief. Je hoeft niets te doen.",
        "done_title": "Gelukt",
        # newsletter: sign-up form
        "home_newsletter": "Nieuws en tips over coaching en loopbaan? Meld je aan voor onze nieuwsbrief.",
        "signup_title": "Aanmelden voor de nieuwsbrief",
        "signup_intro": (
            "Vul je e-mailadres in en vink het vakje aan. Je krijgt dan een e-mail met een link om je"
            " aanmelding te bevestigen. Pas daarna ben je aangemeld."
        ),
        "email_label": "Je e-mailadres",
        "email_hint": "Bijvoorbeeld naam@voorbeeld.nl",
        "signup_consent_legend": "Je toestemming",
        "signup_button": "Aanmelden",
        "missing_email": "Vul een geldig e-mailadres in, zoals naam@voorbeeld.nl.",
        "missing_newsletter": "Vink het vakje aan als je de nieuwsbrief wilt ontvangen.",
        "signup_sent_title": "Kijk in je mailbox",
        "signup_sent": (
            "Dank je wel. Als dit adres nog niet is aangemeld, krijgt het binnen een paar minuten een"
            " e-mail met een link. Je bent pas aangemeld als je op die link klikt en bevestigt."
        ),
        "signup_sent_none": "Geen e-mail gekregen? Kijk ook in je map met ongewenste e-mail.",
        "too_many_title": "Even wachten",
        "too_many": (
            "Er zijn net veel aanmeldingen verstuurd vanaf jouw verbinding. Probeer het over een paar"
            " minuten opnieuw."
        ),
        # newsletter: double opt-in page
        "newsletter_confirm_title": "Bevestig je aanmelding",
        "newsletter_confirm_intro": "Je hebt je aangemeld voor de nieuwsbrief. Dit is waar je ja op zegt:",
        "newsletter_confirm_button": "Ja, ik wil de nieuwsbrief ontvangen",
        "newsletter_confirm_ignore": (
            "Heb je je niet aangemeld? Doe dan niets: zonder bevestiging krijg je niets."
        ),
        "newsletter_confirmed_title": "Je bent aangemeld",
        "newsletter_confirmed": (
            "Dank je wel. Je krijgt voortaan onze nieuwsbrief. In elke nieuwsbrief staat een link om je"
            " met één klik af te melden."
        ),
        "newsletter_already": "Je aanmelding is al bevestigd. Je hoeft niets meer te doen.",
        "signup_gone": (
            "Deze aanmelding is er niet meer: hij is verlopen of je hebt je intussen afgemeld. Wil je de"
            " nieuwsbrief toch? Meld je dan opnieuw aan."
        ),
        # newsletter: unsubscribe
        "unsubscribe_title": "Afmelden voor de nieuwsbrief",
        "unsubscribe_intro": "Wil je onze nieuwsbrief niet meer ontvangen? Klik dan op de knop.",
        "unsubscribe_button": "Afmelden",
        "unsubscribed_title": "Je bent afgemeld",
        "unsubscribed": (
            "Je krijgt onze nieuwsbrief niet meer. Dat hebben we vastgelegd. Je hoeft niets meer te doen."
        ),
        "resubscribe": "Toch weer aanmelden? Dat kan op de pagina",
        "signup_link": "nieuwsbrief",
    },
    "en": {
        "privacy": "Privacy notice",
        "privacy_link": "privacy notice",
        "skip": "Skip to content",
        "other_language": "Nederlands",
        "error_title": "Something went wrong",
        "not_found_title": "Not found",
        "not_found": "This page does not exist.",
        "server_error": "Something went wrong on our side. Please try again later; nothing was lost.",
        "home_title": "Ask for a coach",
        "home_text": (
            "This service finds you a coach. Your request is anonymised before coaches read it; your"
            " contact details go to one coach only, once you have both said yes."
        ),
        "link_invalid_title": "This link is not right",
        "link_invalid": (
            "This link is not valid. Perhaps it was not copied completely. Please open the link from the"
            " e-mail again."
        ),
        "link_expired_title": "This link has expired",
        "link_expired": "This link has expired. Nothing has changed.",
        "gone_title": "No longer available",
        "request_gone": (
            "This request no longer exists. We delete requests by e-mail that are not confirmed in time."
            " You can always send us a new e-mail."
        ),
        "offer_gone": "This request no longer exists.",
        "bad_form": "This form was not sent completely. Please open the page again and try once more.",
        "form_problem": "Something is missing",
        "confirm_title": "Confirm your request",
        "confirm_intro": (
            "You sent us an e-mail asking for a coach (reference {reference}). Your request only goes to"
            " coaches once you confirm below."
        ),
        "confirm_text_heading": "This is how coaches will read your request",
        "confirm_text_note": (
            "We have removed names, contact details and other things that could identify you. Is something"
            " wrong? Then delete this request below and send us a new e-mail."
        ),
        "confirm_privacy": "Please first read how we handle your data in our",
        "topic_label": "Topic",
        "consents_legend": "Your consent",
        "required": "Needed to send your request.",
        "required_special": "Needed for this request: we see that it touches on a sensitive subject.",
        "optional": "Optional.",
        "missing_contact_handover": (
            "Without your consent to pass your e-mail address to one coach, no coach can contact you. Tick"
            " this box to send your request."
        ),
        "missing_special_category": (
            "Your request touches on a sensitive subject. Without your explicit consent we do not keep that"
            " text. Tick this box, or delete this request and send a new e-mail without that information."
        ),
        "stale_wording": "The text of a consent has just changed. Please read it again and choose once more.",
        "confirm_button": "Confirm and send my request",
        "delete_text": "Do you not want to send this request after all? Then we delete it right away.",
        "delete_button": "Delete this request",
        "expires": "If you do not confirm before {date}, we delete your request.",
        "confirmed_title": "Your request has been sent",
        "confirmed": (
            "Thank you. Your request {reference} is now available to our coaches. As soon as a coach accepts"
            " it, you will get an e-mail."
        ),
        "newsletter_pending": (
            "You will also get an e-mail to confirm your newsletter sign-up. Only then are you signed up."
        ),
        "already_confirmed_title": "Already confirmed",
        "already_confirmed": "This request has already been confirmed and sent. There is nothing more to do.",
        "deleted_title": "Your request has been deleted",
        "deleted": "We have deleted your request {reference}. You can always send us a new e-mail.",
        "offer_title": "Request {reference}",
        "offer_meta_topic": "Topic",
        "offer_meta_language": "Language",
        "offer_text_note": "The text has been anonymised.",
        "offer_accept": "Accept",
        "offer_decline": "Not for me",
        "offer_accepted": (
            "You accepted this request. As soon as the candidate confirms, you will receive the contact"
            " details by e-mail."
        ),
        "offer_declined": "You said this request is not for you. Thank you.",
        "offer_taken": "Another coach has already accepted this request. There is nothing for you to do.",
        "offer_closed": "This request is no longer available. There is nothing for you to do.",
        "match_title": "A coach would like to help you",
        "match_intro": "{coach} would like to help you with your request {reference}.",
        "match_question": (
            "Would you like to continue with {coach}? Then we give your contact details to this coach, and to"
            " no one else. If you prefer another coach, we offer your request again."
        ),
        "match_yes": "Yes, share my details with this coach",
        "match_no": "No, another coach please",
        "match_confirmed": "We have given your contact details to {coach}. This coach will contact you.",
        "match_declined": (
            "We will not give your details to this coach. We are offering your request {reference} to other"
            " coaches again."
        ),
        "match_closed": "This request is no longer active. There is nothing for you to do.",
        "done_title": "Done",
        "home_newsletter": "News and tips about coaching and careers? Sign up for our newsletter.",
        "signup_title": "Sign up for the newsletter",
        "signup_intro": (
            "Enter your e-mail address and tick the box. You will get an e-mail with a link to confirm"
            " your sign-up. Only then are you signed up."
        ),
        "email_label": "Your e-mail address",
        "email_hint": "For example name@example.com",
        "signup_consent_legend": "Your consent",
        "signup_button": "Sign up",
        "missing_email": "Enter a valid e-mail address, like name@example.com.",
        "missing_newsletter": "Tick the box if you would like to receive the newsletter.",
        "signup_sent_title": "Check your mailbox",
        "signup_sent": (
            "Thank you. If this address is not signed up yet, it will get an e-mail with a link within a"
            " few minutes. You are only signed up once you follow that link and confirm."
        ),
        "signup_sent_none": "No e-mail? Please also look in your spam folder.",
        "too_many_title": "Please wait a moment",
        "too_many": "Many sign-ups were just sent from your connection. Please try again in a few minutes.",
        "newsletter_confirm_title": "Confirm your sign-up",
        "newsletter_confirm_intro": "You signed up for the newsletter. This is what you say yes to:",
        "newsletter_confirm_button": "Yes, I want to receive the newsletter",
        "newsletter_confirm_ignore": (
            "Did you not sign up? Then do nothing: without confirmation you get nothing."
        ),
        "newsletter_confirmed_title": "You are signed up",
        "newsletter_confirmed": (
            "Thank you. From now on you will receive our newsletter. Every newsletter has a link to"
            " unsubscribe with one click."
        ),
        "newsletter_already": "Your sign-up has already been confirmed. There is nothing more to do.",
        "signup_gone": (
            "This sign-up no longer exists: it expired, or you have unsubscribed since. Would you like the"
            " newsletter after all? Then please sign up again."
        ),
        "unsubscribe_title": "Unsubscribe from the newsletter",
        "unsubscribe_intro": "Would you rather not receive our newsletter any more? Then press the button.",
        "unsubscribe_button": "Unsubscribe",
        "unsubscribed_title": "You have unsubscribed",
        "unsubscribed": (
            "You will not receive our newsletter any more. We have recorded this. There is nothing more"
            " to do."
        ),
        "resubscribe": "Changed your mind? You can sign up again on the page",
        "signup_link": "newsletter",
    },
}
