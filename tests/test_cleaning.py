"""Cleaning on the five real releases, and on inputs shaped like other sites."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from config import PROJECT_ROOT
from vectorstore.cleaning import BoilerplateDetector, EmptyReleaseError, clean_release

TITLES = {
    "000": "IOM, Macao SAR run counter-trafficking training",
    "001": "IOM and China Work to Protect, Assist Victims of Trafficking",
    "002": "IOM Works with China to Combat Human Trafficking in Southwest",
    "003": "IOM China Trains Frontline European Visa Officers on Identification of Human Trafficking Victims",
    "004": "First Counter-Trafficking Seminar in Timor-Leste Aims to Mobilize",
}
NAVIGATION = ["Who we are", "Our Work", "What We Do", "Partnerships", "Highlights", "- Where we work",
              "Take Action", "Work with us", "Get involved", "- Data and Research", "- 2030 Agenda", "-"]


def test_all_five_releases_are_cleaned(cleaned):
    assert sorted(cleaned) == sorted(TITLES)


@pytest.mark.parametrize("rid", sorted(TITLES))
def test_no_site_debris_left(cleaned, rid):
    text = cleaned[rid].text
    lines = text.splitlines()
    for nav in NAVIGATION:
        assert nav not in lines
    assert "WHO WE ARE" not in text and "Our WorkAs" not in text
    for debris in ("src=", "mailto:", '"/jahia', ".jpg"):
        assert debris not in text


@pytest.mark.parametrize("rid", sorted(TITLES))
def test_title_is_exact_and_first(cleaned, rid):
    assert cleaned[rid].title == TITLES[rid]
    assert cleaned[rid].text.startswith(TITLES[rid] + "\n\n")


@pytest.mark.parametrize("rid, joined", [
    ("001", "co-host a three-day training in Beijing for shelter managers to better identify"),
    ("004", "displacement crisis in Timor-Leste alongside on-going socio-economic development"),
])
def test_hard_wrapped_releases_are_unwrapped(cleaned, rid, joined):
    release = cleaned[rid]
    body = release.text.split("\n\n")[1:]
    paragraphs = [p for p in body if not p.startswith("For more information")]
    assert len(paragraphs) >= 4
    for paragraph in paragraphs:
        assert "\n" not in paragraph
        assert re.search(r"""[.!?]["”]?$""", paragraph), paragraph[-60:]
    assert joined in release.text


def test_a_caption_loses_what_it_repeats_and_keeps_what_it_adds(cleaned):
    release = cleaned["001"]
    assert "IOM Beijing counter-trafficking training (15-17 March)." in release.text.split("\n\n")
    assert release.text.count("will today co-host a three-day training") == 1
    assert release.text.count("bring together shelter managers from all over the country") == 1
    [caption] = [r for r in release.removed if r.reason.startswith("photo caption")]
    assert caption.text.startswith("IOM and the Chinese Ministry of Civil Affairs will today co-host")


def test_clean_explain_lists_every_removal_with_its_reason():
    path = next((PROJECT_ROOT / "data" / "releases").glob("001_*.txt"))
    run = subprocess.run([sys.executable, "-m", "releasebot.cli", "clean", "--explain", str(path)],
                         capture_output=True, text=True, check=True)
    lines = run.stdout.splitlines()
    assert re.fullmatch(r"001_\w+\.txt: cleaning removed \d+ pieces", lines[0])
    assert '- navigation or boilerplate: a line most releases share: "Who we are"' in lines
    assert '- markup: an HTML attribute fragment left by the scraper: "src="' in lines
    assert any(line.startswith("- photo caption repeating the body") for line in lines)
    # Nothing of substance went: every removed word of the body is still in the cleaned text, or is debris.
    release = json.loads(subprocess.run([sys.executable, "-m", "releasebot.cli", "clean", "--json", str(path)],
                                        capture_output=True, text=True, check=True).stdout)
    for removal in release["removed"]:
        if removal["reason"].startswith("photo caption"):
            assert set(re.findall(r"\w+", removal["text"])) <= set(re.findall(r"\w+", release["text"]))


def test_metadata(cleaned):
    assert cleaned["000"].location == "China"
    assert cleaned["003"].location == "Beijing"
    assert cleaned["004"].location is None
    assert cleaned["001"].date == "2011-03-15"
    assert cleaned["000"].date is None
    assert cleaned["000"].id == "000_899311ac7e93267d"
    assert cleaned["000"].source_path.endswith("000_899311ac7e93267d.txt")
    assert re.fullmatch(r"[0-9a-f]{64}", cleaned["000"].sha256)


def test_contacts_are_extracted_and_stay_searchable(cleaned):
    gloria = cleaned["000"].contacts
    assert [(c.name, c.office, c.email, c.phone) for c in gloria] == [
        ("Gloria Ko", "IOM Hong Kong", "gko@iom.int", "+852 23322441")]
    assert "Gloria Ko" in cleaned["000"].text and "gko@iom.int" in cleaned["000"].text
    inline = cleaned["003"].contacts[0]
    assert (inline.name, inline.office, inline.email) == ("Etienne Micallef", "IOM China", "emicallef@iom.int")
    dili = cleaned["004"].contacts
    assert [(c.name, c.role, c.email) for c in dili] == [
        ("Angela Sherwood", "Public Information Officer", "asherwood@iom.int"),
        ("Heather Komenda", "Counter-Trafficking Project Manager", "hkomenda@iom.int"),
    ]
    assert cleaned["001"].contacts[0].phone == "+86 10 8532 5303, Ext. 203"


def _page(menu: list[str], title: str, body: str) -> str:
    return "\n".join([*menu, title, body, *menu])


def test_boilerplate_of_another_site_is_learnt_from_the_corpus():
    menu = ["Home", "About us", "Newsroom", "Contact the press office"]
    pages = [_page(menu, f"Headline {i}", f"Story number {i} happened in town {i}.") for i in range(4)]
    detector = BoilerplateDetector.from_texts(pages)
    release = clean_release(pages[0], release_id="x", source_path="x.txt", sha256="0", boilerplate=detector)
    assert release.title == "Headline 0"
    assert release.text == "Headline 0\n\nStory number 0 happened in town 0."


def test_a_contact_block_most_releases_share_is_kept_its_footer_is_not():
    menu = ["Home", "About us", "Newsroom"]
    contact = ["For more information, please contact:", "Press Office", "Tel: +41 22 717 9111", "press@example.org"]
    pages = [_page(menu, f"Headline {i}", f"Story number {i}.\n" + "\n".join(contact)) for i in range(4)]
    detector = BoilerplateDetector.from_texts(pages)
    assert "press@example.org" in detector and "Home" in detector  # both learnt as shared lines
    release = clean_release(pages[0], release_id="x", source_path="x.txt", sha256="0", boilerplate=detector)
    assert release.text.endswith("\n".join(contact))
    assert "Home" not in release.text and "Newsroom" not in release.text
    assert [(c.office, c.email, c.phone) for c in release.contacts] == [
        ("Press Office", "press@example.org", "+41 22 717 9111")]


def test_release_of_only_boilerplate_is_refused():
    detector = BoilerplateDetector.from_texts([])
    with pytest.raises(EmptyReleaseError):
        clean_release("Who we are\n-\nOur Work\n", release_id="x", source_path="x", sha256="0", boilerplate=detector)


def test_clean_command_prints_an_unwrapped_release():
    path = next((PROJECT_ROOT / "data" / "releases").glob("001_*.txt"))
    run = subprocess.run([sys.executable, "-m", "releasebot.cli", "clean", str(path)],
                         capture_output=True, text=True, check=True)
    assert run.stdout.startswith(TITLES["001"])
    assert "src=" not in run.stdout and "Who we are" not in run.stdout
    record = json.loads(subprocess.run([sys.executable, "-m", "releasebot.cli", "clean", "--json", str(path)],
                                       capture_output=True, text=True, check=True).stdout)
    assert record["title"] == TITLES["001"] and record["date"] == "2011-03-15"
    assert record["contacts"][0]["email"] == "kgormanbest@iom.int"


def _clean(raw: str, detector: BoilerplateDetector | None = None):
    return clean_release(raw, release_id="x", source_path="x.txt", sha256="0",
                         boilerplate=detector or BoilerplateDetector.from_texts([]))


def test_a_menu_with_a_sites_own_paragraph_goes_before_a_title_without_dateline():
    lead = "The Ministry and IOM opened a shelter for 24 survivors of trafficking in the capital this week."
    raw = "\n".join(["url: https://example.iom.int/news/shelter", "Who We Are", "About",
                     "WHO WE AREThe regional office coordinates the work of missions in twelve countries of the region.",
                     "IOM Global", "Our Work", "Where We Work", "Take action", "Shelter Opens for Survivors", lead,
                     "It is funded by the European Union and run by a local association.", "Share this: Facebook Email"])
    release = _clean(raw)
    assert release.title == "Shelter Opens for Survivors" and release.url == "https://example.iom.int/news/shelter"
    assert " ".join(release.text.split()) == f"Shelter Opens for Survivors {lead} It is funded by the European Union " \
                                            "and run by a local association."


def test_a_lead_paragraph_is_never_taken_for_a_header():
    """A page with no menu, whose lead paragraph stands alone before a subheading, keeps everything."""
    raw = "\n".join(["Hotline Launched", "A free hotline for victims of trafficking opened on Monday in the capital.",
                     "Background", "The country adopted its first law against trafficking in persons in 2014.",
                     "Since then 312 victims have been identified by the police and by civil society."])
    release = _clean(raw)
    assert release.title == "Hotline Launched" and " ".join(release.text.split()) == " ".join(raw.split())


def test_tags_and_style_rules_go_and_the_text_they_wrapped_stays():
    raw = "\n".join(["Officers Trained", "<p style=\"text-align: justify;\">Cairo, 17 March 2008 – Thirty officers "
                     "began a course.</p>", ".field-content{margin:0}The course lasts four days, said the Ministry.",
                     ".views-row{padding:0}", "</div></div>", "Children aged <18 are referred to the shelter {sic}."])
    release = _clean(raw)
    assert " ".join(release.text.split()) == ("Officers Trained Cairo, 17 March 2008 – Thirty officers began a course. "
                                              "The course lasts four days, said the Ministry. "
                                              "Children aged <18 are referred to the shelter {sic}.")
    assert sum(r.reason.startswith("markup") for r in release.removed) == 4


def test_a_label_several_pages_repeat_goes_wherever_it_stands():
    pages = ["\n".join([f"Headline {i}", f"Story number {i} happened in town {i} on a Monday.", "Share this: Facebook",
                        f"Then a second thing happened in town {i}, said the mayor."]) for i in range(3)]
    release = _clean(pages[0], BoilerplateDetector.from_texts(pages))
    assert "Share this" not in release.text and "said the mayor" in release.text
