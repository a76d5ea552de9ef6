def test_sign_off_and_signature_block(check):
    text = (
        "Ik zoek een coach voor leiderschap.\n\n"
        "Met vriendelijke groet,\n\n"
        "Wieteke Hoogendoorn\n"
        "Teamleider Inkoop\n"
        "Gemeente Zoetermeer\n"
        "T 079 346 89 11\n"
    )
    found = check.found(text)
    assert found["Wieteke Hoogendoorn"] == "PERSON"
    assert found["Gemeente Zoetermeer"] == "ORGANIZATION"
    assert check.kept(text, "Teamleider Inkoop")


def test_inline_sign_off(check):
    assert check.redacted("Alvast bedankt. Groetjes, Romy", "Romy", label="PERSON")
    assert check.kept("Groetjes uit Zwolle!", "Groetjes")


def test_organisation_in_job_line(check):
    text = "Best,\nTobias Reinhardt\nSenior Developer | Picnic\n"
    assert check.redacted(text, "Picnic")
    assert check.kept(text, "Senior Developer")


def test_quoted_headers(check):
    text = (
        "Zie hieronder.\n\n"
        "Van: Anouk Verbeek <a.verbeek@example.nl>\n"
        "Verzonden: maandag 7 april 2025 11:02\n"
        "Aan: Koen Smit <koen@example.com>\n"
        "Onderwerp: Afspraak\n"
    )
    found = check.found(text)
    assert found["Anouk Verbeek"] == "PERSON"
    assert found["Koen Smit"] == "PERSON"
    assert check.kept(text, "Afspraak")


def test_reply_line(check):
    text = "See below.\n\nOn Tue, 3 Jun 2025 at 09:10, Harriet Moss <harriet@example.co.uk> wrote:\n> Hi"
    assert check.redacted(text, "Harriet Moss", label="PERSON")


def test_last_line_name_and_dash_name(check):
    assert check.redacted("Wat kost een traject?\nJelmer Postma", "Jelmer Postma", label="PERSON")
    assert check.redacted("Can you help me plan ahead? - Dave", "Dave", label="PERSON")
