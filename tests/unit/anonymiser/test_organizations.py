import pytest


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("Ik werk als planner bij Van Oord in Rotterdam.", "Van Oord"),
        ("I'm a data analyst at Monzo and want a change.", "Monzo"),
        ("Ik studeer aan de Hogeschool van Arnhem en Nijmegen.", "Hogeschool van Arnhem en Nijmegen"),
        ("She works at Queen Elizabeth University Hospital.", "Queen Elizabeth University Hospital"),
        ("Ik werk op het Bonifatius College in Utrecht.", "Bonifatius College"),
        ("Ik werk via uitzendbureau Olympia in de schoonmaak.", "Olympia"),
        ("I'm a shift lead for Deliveroo.", "Deliveroo"),
        ("Ik werk bij de gemeente Súdwest-Fryslân.", "gemeente Súdwest-Fryslân"),
        ("Ik ben lid van de FNV.", "FNV"),
        ("Stichting Het Vergeten Kind zoekt vrijwilligers en ik werk daar.", "Stichting Het Vergeten Kind"),
        ("Mijn werkgever, Alliander, betaalt het.", "Alliander"),
        ("Ik ben docent op De Piramide in Leek.", "De Piramide"),
        ("We run a café, The Copper Kettle, in town.", "The Copper Kettle"),
        ("De factuur graag aan Kuipers Installatietechniek B.V.", "Kuipers Installatietechniek B.V."),
        ("I spent eight years with Capgemini before that.", "Capgemini"),
        ("I'm the CFO of Hartwell Foods plc.", "Hartwell Foods plc"),
    ],
)
def test_organisations(check, text, surface):
    assert check.redacted(text, surface)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Ik heb een uitkering via het UWV.", "UWV"),
        ("Ik sta ingeschreven bij de VDAB.", "VDAB"),
        ("I saw my GP at the NHS walk-in centre.", "NHS"),
        ("Ik werk bij de gemeente, afdeling burgerzaken.", "gemeente"),
        ("Stuur het gerust via Telegram of WhatsApp.", "Telegram"),
        ("I work at night and sleep at noon.", "night"),
        ("I was diagnosed with PTSD last year.", "PTSD"),
    ],
)
def test_not_organisations(check, text, kept):
    assert check.kept(text, kept)
