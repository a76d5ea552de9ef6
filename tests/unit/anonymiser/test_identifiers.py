import pytest

from anonymiser.detectors.identifiers import be_national_valid, bsn_valid, iban_valid, nhs_valid, pps_valid


def test_checksums():
    assert bsn_valid("111222333") and not bsn_valid("111222334")
    assert bsn_valid("1112.22.333")
    assert iban_valid("NL91 ABNA 0417 1643 00") and not iban_valid("NL91 ABNA 0417 1643 01")
    assert iban_valid("GB82 WEST 1234 5698 7654 32")
    assert iban_valid("BE68 5390 0754 7034")
    assert nhs_valid("943 476 5919") and not nhs_valid("943 476 5918")
    assert be_national_valid("85.07.30-033.28") and not be_national_valid("85.07.30-033.29")
    assert pps_valid("1234567T") and not pps_valid("1234567A")


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("mijn BSN is 111222333", "111222333"),
        ("burgerservicenummer 1112.22.333", "1112.22.333"),
        ("IBAN NL91 ABNA 0417 1643 00 t.n.v. mij", "NL91 ABNA 0417 1643 00"),
        ("sort it via GB82 WEST 1234 5698 7654 32 please", "GB82 WEST 1234 5698 7654 32"),
        ("rekening BE68 5390 0754 7034", "BE68 5390 0754 7034"),
        ("NHS number 943 476 5919", "943 476 5919"),
        ("my NI number is AB 12 34 56 C", "AB 12 34 56 C"),
        ("rijksregisternummer 85.07.30-033.28", "85.07.30-033.28"),
        ("mijn klantnummer is KL-55031", "KL-55031"),
        ("personeelsnr. 20931 staat erop", "20931"),
        ("studentnummer: 5123987", "5123987"),
        ("employee ID E-77812", "E-77812"),
        ("case reference: HR/2024/118", "HR/2024/118"),
        ("KvK 69599084, btw NL123456789B01", "69599084"),
        ("KvK 69599084, btw NL123456789B01", "NL123456789B01"),
        ("dossier DOS-2025-4471 bij de verzekeraar", "DOS-2025-4471"),
        ("polisnummer 88.1234.77", "88.1234.77"),
        ("My PPS number is 1234567T.", "1234567T"),
        ("My date of birth is 1 May 1990 and my BSN is 111222333, as requested.", "111222333"),
        ("ons kenmerk: 2024/88-ab", "2024/88-ab"),
    ],
)
def test_identifiers(check, text, surface):
    assert check.redacted(text, surface, label="ID")


@pytest.mark.parametrize(
    "text",
    [
        "Ik heb niveau B1 Nederlands en een A2 certificaat.",
        "Ik heb COVID-19 gehad in 2021.",
        "Ik studeer HBO-ICT.",
        "Uit onderzoek bleek een BRCA1-mutatie.",
        "mijn telefoonnummer is 06-12345678",
    ],
)
def test_codes_that_are_no_identifiers(check, text):
    assert not any(s.label == "ID" for s in check.analyse(text).spans)
