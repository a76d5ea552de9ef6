import pytest


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        # self-introductions
        ("Hallo, ik ben Ayşe Doğan en ik zoek een coach.", "Ayşe Doğan"),
        ("Mijn naam is Tjeerd van der Wal.", "Tjeerd van der Wal"),
        ("hi! my name is Oluwaseun Adeyemi-Clarke, 31", "Oluwaseun Adeyemi-Clarke"),
        ("I'm Saoirse, a nurse in Galway.", "Saoirse"),
        ("Naam: Brechtje Oosterveld", "Brechtje Oosterveld"),
        # lower-case chat names
        ("hoi ik ben sanne, 24", "sanne"),
        ("ben joep uit Venray 😊", "joep"),
        ("hey im priya 🙂 need help", "priya"),
        ("heyy ik ben thijs van 't hof, zoek werk", "thijs van 't hof"),
        ("hi, kev here. need a new job", "kev"),
        ("hey im jordan, 23, looking for work", "jordan"),
        ("hi there 👋 Mei Lin here, product designer", "Mei Lin"),
        ("Ik ben Lieve Peeters en werk als kleuterjuf.", "Lieve Peeters"),
        # relations and titles
        ("mijn vrouw Ingrid werkt ook daar", "Ingrid"),
        ("my manager, Declan, keeps shouting", "Declan"),
        ("mn broertje luuk zegt dat", "luuk"),
        ("De klantmanager is mevrouw Terpstra.", "Terpstra"),
        ("I saw Dr Okonjo last week.", "Okonjo"),
        ("t.a.v. dhr. P.J.M. van Rijn", "P.J.M. van Rijn"),
        ("de heer De Bruijn belde", "De Bruijn"),
        # initials, greetings, gazetteer
        ("Groet, J. Bakker", "J. Bakker"),
        ("Beste Mieke,\n\nDank je.", "Mieke"),
        ("Dear Siobhán,\nthanks", "Siobhán"),
        ("Gisteren sprak ik Fatima al over mijn plannen.", "Fatima"),
        ("I spoke to Gareth Llewellyn about it.", "Gareth Llewellyn"),
        ("Ik heb het besproken met Mohammed el Amrani.", "Mohammed el Amrani"),
        ("My friend Nguyen Van Minh recommended you.", "Nguyen Van Minh"),
    ],
)
def test_names(check, text, surface):
    assert check.redacted(text, surface, label="PERSON")


def test_title_stays_outside_the_name(check):
    text = "Ik werk voor mevrouw Jansen."
    assert check.kept(text, "mevrouw")
    assert check.redacted(text, "Jansen")


def test_a_name_found_once_is_redacted_everywhere(check):
    text = "Namens mijn zoon Tunde stuur ik dit. Tunde is 19 en zoekt werk."
    analysis = check.analyse(text)
    assert [text[s.start : s.end] for s in analysis.spans if s.label == "PERSON"] == ["Tunde", "Tunde"]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Ik werk al 20 jaar als bakker in een dorp.", "bakker"),
        ("Ik ben visser op een kotter.", "visser"),
        ("ik werk als kok in een hotel", "kok"),
        ("Ik heb de ziekte van Pfeiffer.", "Pfeiffer"),
        ("Mijn vader heeft Parkinson.", "Parkinson"),
        ("I was diagnosed with Crohn's disease.", "Crohn's"),
        ("Onze zoon heeft het syndroom van Down.", "Down"),
        ("Ik kan op maandag of vrijdag.", "maandag"),
        ("Ben nu boekhouder bij een klein kantoor.", "Ben"),
        ("Will you have time in June?", "Will"),
        ("Het UWV en de huisarts zijn op de hoogte.", "UWV"),
        ("De bedrijfsarts adviseert coaching.", "bedrijfsarts"),
        ("I'm British and live abroad.", "British"),
        ("Ik ben Nederlander en woon in Spanje.", "Nederlander"),
        ("Ik ben 44 en werkloos.", "44"),
        ("Beste coach,\nik zoek hulp.", "coach"),
        ("Dear Sir or Madam,\nI am writing", "Sir"),
        ("Many thanks,\nLucy Pemberton\nEarly Careers Manager\nArup", "Early Careers Manager"),
    ],
)
def test_hard_negatives(check, text, kept):
    assert check.kept(text, kept)


def test_job_title_after_name_does_not_block_surname(check):
    text = "mijn collega Mark Kok zei dat jullie goed zijn"
    assert check.redacted(text, "Mark Kok", label="PERSON")
