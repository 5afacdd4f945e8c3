"""Deterministic synthetic press releases, shaped like the scraped IOM pages in data/releases/, to
benchmark ingest and retrieval at sizes the five real releases cannot reach.

    python bench/synthetic.py --chunks 10000 --out DIR [--seed 0]

Writes syn_NNNNNN.txt files plus copies of the five real releases into DIR, so the real question set
(eval/questions.jsonl) can be asked among the noise, and the figures to DIR/synthetic.json. Release i
depends only on (seed, i): a smaller corpus is a prefix of a larger one.
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import textwrap
from functools import lru_cache
from pathlib import Path

from common import QUESTIONS, print_table, write_json

from config import Settings
from releasebot.evaluation import is_correct, load_questions
from vectorstore.chunking import ReleaseChunker
from vectorstore.cleaning import BoilerplateDetector, clean_release
from vectorstore.loading import find_release_files, read_release

# Part of the cache key of stored benchmark corpora: bump when the generated text changes.
GENERATOR_VERSION = "1"
SAMPLE = 60  # releases cleaned and chunked to measure chunks per release

# The site's menu, verbatim: the real releases carry it, and its two long lines are not in cleaning's
# seed list, so unless most of the corpus repeats them they would survive as the real releases' titles.
NAV = [
    "-", "Who we are",
    "WHO WE AREThe International Organization for Migration (IOM) is part of the United Nations System as the "
    "leading inter-governmental organization promoting since 1951 humane and orderly migration for the benefit of "
    "all, with 175 member states and a presence in 171 countries.",
    "-", "Our Work",
    "Our WorkAs the leading inter-governmental organization promoting since 1951 humane and orderly migration, IOM "
    "plays a key role to support the achievement of the 2030 Agenda through different areas of intervention that "
    "connect both humanitarian assistance and sustainable development.",
    "What We Do", "What We Do", "Partnerships", "Partnerships", "Highlights", "Highlights", "- Where we work", "-",
    "Take Action", "Take Action", "Work with us", "Work with us", "Get involved", "Get involved",
    "- Data and Research", "- 2030 Agenda",
]
FOOTER = ["Share this page", "Related News", "Contact Us", "Privacy Policy", "Terms of Use",
          "Copyright © International Organization for Migration"]

# Word lists. Nothing here may answer a real question: every answer alternative in the question set
# is refused by `forbidden_strings`, and so are the places and names the questions are about.
QUESTION_SUBJECTS = [
    "Macao", "MSAR", "casino", "Gloria Ko", "Timor", "Dili", "Brazil", "Pope Francis", "airline", "Director General",
    "budget", "visa", "Sinkovits", "Liljert", "Komenda", "Sherwood", "Micallef", "Kieran", "Alola",
]
COUNTRIES = [  # country, capital, language, region
    ("Cambodia", "Phnom Penh", "Khmer", "the Mekong region"),
    ("Indonesia", "Jakarta", "Bahasa Indonesia", "the Asia-Pacific region"),
    ("Philippines", "Manila", "Tagalog", "the Asia-Pacific region"),
    ("Malaysia", "Kuala Lumpur", "Malay", "the Asia-Pacific region"),
    ("Nepal", "Kathmandu", "Nepali", "South Asia"),
    ("Bangladesh", "Dhaka", "Bengali", "South Asia"),
    ("Sri Lanka", "Colombo", "Sinhala", "South Asia"),
    ("Pakistan", "Islamabad", "Urdu", "South Asia"),
    ("Afghanistan", "Kabul", "Dari", "South Asia"),
    ("Kenya", "Nairobi", "Swahili", "East Africa"),
    ("Ethiopia", "Addis Ababa", "Amharic", "East Africa"),
    ("Uganda", "Kampala", "Luganda", "East Africa"),
    ("Sudan", "Khartoum", "Arabic", "East Africa"),
    ("Nigeria", "Abuja", "Hausa", "West Africa"),
    ("Ghana", "Accra", "Twi", "West Africa"),
    ("Senegal", "Dakar", "Wolof", "West Africa"),
    ("Mali", "Bamako", "Bambara", "the Sahel"),
    ("Niger", "Niamey", "Hausa", "the Sahel"),
    ("Zambia", "Lusaka", "Bemba", "Southern Africa"),
    ("Mozambique", "Maputo", "Portuguese", "Southern Africa"),
    ("Morocco", "Rabat", "Arabic", "North Africa"),
    ("Tunisia", "Tunis", "Arabic", "North Africa"),
    ("Egypt", "Cairo", "Arabic", "North Africa"),
    ("Jordan", "Amman", "Arabic", "the Middle East"),
    ("Lebanon", "Beirut", "Arabic", "the Middle East"),
    ("Ukraine", "Kyiv", "Ukrainian", "Eastern Europe"),
    ("Moldova", "Chisinau", "Romanian", "Eastern Europe"),
    ("Romania", "Bucharest", "Romanian", "Eastern Europe"),
    ("Albania", "Tirana", "Albanian", "the Western Balkans"),
    ("Serbia", "Belgrade", "Serbian", "the Western Balkans"),
    ("Georgia", "Tbilisi", "Georgian", "the South Caucasus"),
    ("Armenia", "Yerevan", "Armenian", "the South Caucasus"),
    ("Kyrgyzstan", "Bishkek", "Kyrgyz", "Central Asia"),
    ("Kazakhstan", "Astana", "Kazakh", "Central Asia"),
    ("Guatemala", "Guatemala City", "Spanish", "Central America"),
    ("Honduras", "Tegucigalpa", "Spanish", "Central America"),
    ("Mexico", "Mexico City", "Spanish", "Central America"),
    ("Colombia", "Bogota", "Spanish", "South America"),
    ("Peru", "Lima", "Spanish", "South America"),
    ("Ecuador", "Quito", "Spanish", "South America"),
    ("Papua New Guinea", "Port Moresby", "Tok Pisin", "the Pacific"),
    ("Fiji", "Suva", "Fijian", "the Pacific"),
]
FIRST_NAMES = [
    "Maria", "Ahmed", "Sofia", "Daniel", "Amina", "Lucas", "Nadia", "Peter", "Leila", "Jonas", "Grace", "Samuel",
    "Irina", "Carlos", "Fatima", "Tomas", "Hana", "Oliver", "Elena", "Rashid", "Claire", "Mateo", "Yasmin", "David",
    "Anna", "Kofi", "Priya", "Marco", "Ines", "Viktor", "Aisha", "Julien", "Rosa", "Omar", "Lina", "Paul", "Mariam",
    "Felix", "Nora", "Ivan",
]
SURNAMES = [
    "Haddad", "Novak", "Okafor", "Lindqvist", "Moreno", "Petrov", "Mensah", "Castillo", "Rahman", "Schneider",
    "Dubois", "Kovacs", "Nakamura", "Santos", "Osei", "Fischer", "Alvarez", "Popescu", "Mwangi", "Jansen", "Rossi",
    "Kowalski", "Andersen", "Silva", "Hussein", "Ivanova", "Brennan", "Tanaka", "Costa", "Eriksen", "Farah", "Gallo",
    "Hoffmann", "Kariuki", "Lopez", "Meyer", "Nilsson", "Oliveira", "Quispe", "Romero",
]
IOM_ROLES = ["Chief of Mission", "Head of Office", "Programme Coordinator", "Counter-Trafficking Specialist",
             "Senior Programme Officer", "Migrant Protection Officer"]
CONTACT_ROLES = ["Public Information Officer", "Communications Officer", "Media and Communications Assistant",
                 "Programme Coordinator", "National Programme Officer"]
OFFICIAL_TITLES = ["Deputy Minister", "Permanent Secretary", "Police Commissioner",
                   "Head of the Anti-Trafficking Unit", "Chief Prosecutor"]
MINISTRIES = ["Ministry of Labour", "Ministry of Justice", "Ministry of Interior", "Ministry of Social Affairs",
              "Ministry of Women and Children", "Ministry of Home Affairs", "Ministry of Gender and Social Protection",
              "Ministry of Labour and Employment"]
DONORS = ["the European Union", "the Government of Japan", "the Government of Canada", "USAID",
          "the Swiss Agency for Development and Cooperation", "the UK Home Office", "the Government of the Netherlands",
          "the Government of Australia", "the Government of Norway", "the German Federal Foreign Office",
          "the Korea International Cooperation Agency", "the Italian Agency for Development Cooperation"]
PARTNERS = ["the Safe Passage Foundation", "the New Horizons Association", "the Civic Aid Network",
            "the Community Care Foundation", "the Safe Home Initiative", "the Lighthouse Centre for Survivors",
            "the Migrant Rights Forum", "the Open Hands Society", "the Youth Futures Trust",
            "the Women's Legal Aid Centre"]
UN_AGENCIES = ["UNODC", "UNICEF", "the ILO", "UN Women", "UNHCR", "UNFPA"]
GROUPS = [("police officers", "Police Officers"), ("border guards", "Border Guards"),
          ("labour inspectors", "Labour Inspectors"), ("prosecutors", "Prosecutors"), ("judges", "Judges"),
          ("social workers", "Social Workers"), ("immigration officers", "Immigration Officers"),
          ("community leaders", "Community Leaders"), ("health workers", "Health Workers"), ("teachers", "Teachers"),
          ("shelter staff", "Shelter Staff"), ("coast guard officers", "Coast Guard Officers"),
          ("local government officials", "Local Officials")]
DURATIONS = [("four-day", "four days"), ("five-day", "five days"), ("one-week", "one week"),
             ("ten-day", "ten days"), ("six-day", "six days"), ("two-week", "two weeks")]
SECTORS = ["construction", "fishing", "domestic work", "agriculture", "garment factories", "mining",
           "the hospitality industry", "brick kilns", "palm oil plantations", "textile workshops"]
AREAS = ["northern", "southern", "eastern", "western", "central", "rural", "coastal"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
YEARS = list(range(2004, 2024))
MARKERS = ["For more information please contact", "For more information please contact:",
           "For more information, please contact", "For further information please contact:",
           "For more information, please contact:"]
PHONE_CODES = ["+41", "+44", "+254", "+880", "+63", "+977", "+233", "+212", "+962", "+380", "+373", "+502", "+57"]

HEADLINES = [
    "IOM Trains {Group} in {country} to Identify Victims of Trafficking",
    "IOM, {country} Government Strengthen Response to Human Trafficking",
    "{country} Hosts {Duration} Counter-Trafficking Course for {Group}",
    "New Support Centre for Trafficking Survivors Opens in {capital}",
    "IOM Helps {country} Tackle Labour Exploitation in {Sector}",
    "{Group} in {Area} {country} Learn to Spot Signs of Trafficking",
    "IOM and Partners Launch Anti-Trafficking Project in {country}",
    "Regional Meeting in {capital} Targets Trafficking Across {Region}",
]
INTROS = [
    "{where} {dash} IOM and the {ministry} are holding a {duration} course in {capital} this week for {n_part} "
    "{group} from {area} {country} to improve the identification and protection of victims of human trafficking.",
    "{where} {dash} {n_part} {group} from across {country} have completed a {duration} course on identifying and "
    "assisting victims of trafficking, organized by IOM with {partner}.",
    "{where} {dash} A new centre offering shelter, counselling and legal aid to survivors of human trafficking "
    "opened in {capital} on {date}, run by {partner} with support from IOM and {donor}.",
    "{where} {dash} IOM today launched a {n_years}-year project to reduce labour exploitation in {sector} in "
    "{country}, where a recent government survey estimates that {n_big} workers are in situations of forced labour.",
    "{where} {dash} Senior officials from {country}, {neighbour1} and {neighbour2} met in {capital} on {date} to "
    "agree on joint measures against the trafficking of people across {region}.",
]
PARAGRAPHS = [
    "{country} is a country of origin and transit for men, women and children trafficked for forced labour and "
    "sexual exploitation. According to the {ministry}, {n_cases} cases of human trafficking were recorded in {year}, "
    "up from {n_cases_prev} the year before, although officials believe many more go unreported.",
    "Over {duration_long}, participants study the national anti-trafficking law, interviewing techniques, referral "
    "mechanisms and the protection of child victims. Sessions are led by trainers from {partner} and {un_agency}, "
    "and include case studies drawn from {region}.",
    "Since {year_since}, IOM has assisted {n_assisted} trafficked persons in {country}, most of them young people "
    "from {area} districts. Around {pct} per cent were exploited in {sector}, while others were forced into "
    "{sector2} or street begging.",
    "\"{quote_iom}\" said {p1}, IOM {p1_role} in {country}.",
    "\"{quote_official}\" added {official_title} {p2} of the {ministry}.",
    "The programme is funded by {donor} as part of a {n_years}-year project worth USD {money} million that aims to "
    "strengthen the capacity of the authorities in {country} to prevent trafficking and prosecute offenders.",
    "The {ministry} currently runs {n_shelters} shelters for survivors of trafficking and plans to open a further "
    "{n_new} in {area} {country} by the end of {year_next}.",
    "After the course, IOM and {partner} will hold community meetings in {n_districts} districts, broadcast radio "
    "messages in {language} and set up a free hotline that migrants can call for advice before they travel abroad.",
    "The event also brought together officials from {neighbour1} and {neighbour2}, which share long borders with "
    "{country} and have seen growing numbers of migrants moving irregularly through {region}.",
    "Participants are expected to draft standard operating procedures for the referral of victims, which will be "
    "presented to the national anti-trafficking taskforce in {month} {year_next}.",
    "Poverty, unemployment and limited access to accurate information about regular migration channels leave many "
    "young people in {area} {country} exposed to recruiters who promise well-paid jobs in {sector2} abroad.",
    "The course builds on a pilot held in {capital} in {year_prev}, after which police in the region reported a "
    "{pct2} per cent rise in the number of victims referred for assistance.",
    "A survey of {n_survey} returning migrants carried out by IOM in {year} found that one in {n_ratio} had paid "
    "recruitment fees of more than USD {n_fee}, and that most had signed contracts in a language they could not read.",
]
QUOTES_IOM = [
    "Trafficking thrives where victims are not recognized. Officers who know what to look for can change the course "
    "of a case, and of a life,",
    "No single agency can end this crime alone. This course brings together the people who meet victims first and "
    "gives them a common way of working,",
    "Many of the survivors we assist were deceived by someone they trusted. Prevention has to start in the "
    "communities where recruiters operate,",
    "Protection must come first. A survivor who feels safe is far more likely to cooperate with an investigation,",
    "The government has shown real commitment, and our role is to make sure that commitment reaches the front line,",
]
QUOTES_OFFICIAL = [
    "We are determined to bring traffickers to justice and to give every survivor the support they need to rebuild "
    "their lives,",
    "This partnership with IOM helps our officers apply the law with confidence and treat survivors with dignity,",
    "Our border communities are on the front line, and they deserve the knowledge to protect their young people,",
    "Every case we identify early is a family spared years of exploitation,",
]


@lru_cache(maxsize=1)
def forbidden_strings() -> tuple[str, ...]:
    """Every answer alternative of the question set, and the places and people it asks about."""
    answers = {alt for q in load_questions(QUESTIONS) for group in q.must for alt in group}
    return tuple(sorted(answers | set(QUESTION_SUBJECTS)))


def _allowed(text: str) -> bool:
    # The project's own grader decides: an answer made of this text must not score on any question.
    return not is_correct(text, [list(forbidden_strings())])


def _figure(rng: random.Random, low: int, high: int) -> str:
    while True:
        value = rng.randint(low, high)
        text = f"{value:,}"
        if _allowed(text) and _allowed(str(value)):
            return text


def _pick(rng: random.Random, values: list):
    while True:
        value = rng.choice(values)
        if _allowed(str(value)):
            return value


def _person(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    return f"{first} {last}", f"{first[0]}{last}@iom.int".lower()


def _phone(rng: random.Random) -> str:
    while True:
        number = f"{rng.choice(PHONE_CODES)} {rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
        if _allowed(number):
            return number


def _slots(rng: random.Random) -> dict[str, str]:
    country, capital, language, region = rng.choice(COUNTRIES)
    nearby = [c[0] for c in COUNTRIES if c[3] == region and c[0] != country] or [c[0] for c in COUNTRIES]
    neighbours = rng.sample(nearby, 2) if len(nearby) > 1 else [nearby[0], rng.choice(COUNTRIES)[0]]
    group, group_title = rng.choice(GROUPS)
    duration, duration_long = rng.choice(DURATIONS)
    sector, sector2 = rng.sample(SECTORS, 2)
    year = _pick(rng, YEARS[3:-2])
    slots = dict(
        country=country, capital=capital, language=language, region=region, Region=region.removeprefix("the ").title(),
        neighbour1=neighbours[0], neighbour2=neighbours[1], group=group, Group=group_title,
        duration=duration, Duration=duration.title(), duration_long=duration_long,
        sector=sector, Sector=sector.removeprefix("the ").title(), sector2=sector2,
        area=rng.choice(AREAS), ministry=rng.choice(MINISTRIES), donor=rng.choice(DONORS),
        partner=rng.choice(PARTNERS), un_agency=rng.choice(UN_AGENCIES),
        where=rng.choice([country, capital]), dash=rng.choice(["-", "–"]),
        date=f"{_pick(rng, list(range(1, 29)))} {rng.choice(MONTHS)}", month=rng.choice(MONTHS),
        year=str(year), year_since=str(_pick(rng, [y for y in YEARS if y < year])),
        year_prev=str(_pick(rng, [y for y in YEARS if y < year])), year_next=str(_pick(rng, [year + 1, year + 2])),
        n_part=_figure(rng, 12, 95), n_big=_figure(rng, 20_000, 400_000), n_cases=_figure(rng, 40, 900),
        n_cases_prev=_figure(rng, 20, 600), n_assisted=_figure(rng, 200, 9_000), pct=_figure(rng, 20, 80),
        pct2=_figure(rng, 10, 60), n_years=_pick(rng, ["two", "three", "four", "five"]),
        money=f"{_figure(rng, 1, 9)}.{_figure(rng, 1, 9)}", n_shelters=_figure(rng, 3, 60), n_new=_figure(rng, 2, 9),
        n_districts=_figure(rng, 4, 40), n_survey=_figure(rng, 300, 4_000), n_ratio=_pick(rng, ["three", "four", "five"]),
        n_fee=_figure(rng, 400, 3_000), quote_iom=rng.choice(QUOTES_IOM), quote_official=rng.choice(QUOTES_OFFICIAL),
        p1=_person(rng)[0], p1_role=rng.choice(IOM_ROLES), p2=_person(rng)[0],
        official_title=rng.choice(OFFICIAL_TITLES),
    )
    slots["Area"] = slots["area"].title()
    return slots


def _contact_block(rng: random.Random, slots: dict[str, str]) -> list[str]:
    if rng.random() < 0.2:  # one inline sentence, as in release 003
        name, email = _person(rng)
        return [f"For further information please contact {name} at IOM {slots['country']}, "
                f"Tel: {_phone(rng)}, Email: {email}"]
    lines = [rng.choice(MARKERS)]
    for n in range(rng.choice([1, 1, 2])):
        name, email = _person(rng)
        if n:
            lines.append("or")
        lines.append(name)
        if rng.random() < 0.6:
            lines.append(rng.choice(CONTACT_ROLES))
        lines.append(f"IOM {slots['capital']}")
        lines.append(f"{rng.choice(['Tel:', 'Tel.', 'Mobile:'])} {_phone(rng)}")
        lines.extend(rng.choice([[f"Email: {email}"], [f"E-mail: {email}"], ["E-mail:", f'"mailto:{email}">{email}']]))
    return lines


def _compose(rng: random.Random) -> tuple[str, str]:
    """(the raw page, the part of it that should survive cleaning)."""
    slots = _slots(rng)
    title = rng.choice(HEADLINES).format(**slots)
    paragraphs = [rng.choice(INTROS).format(**slots)]
    paragraphs += [p.format(**slots) for p in rng.sample(PARAGRAPHS, rng.randint(6, 8))]
    contacts = _contact_block(rng, slots)
    if rng.random() < 0.4:  # hard-wrapped at ~70 columns, as in releases 001 and 004
        width = rng.randint(62, 72)
        body_lines = [line for p in paragraphs for line in textwrap.wrap(p, width)]
    else:
        body_lines = paragraphs
    debris = []
    if rng.random() < 0.3:  # the scraper keeps a photo's caption (repeating the text) and its path
        intro = paragraphs[0].split(f" {slots['dash']} ", 1)[1]
        day = f"{rng.choice(YEARS)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        path = f'"/jahia/webdav/shared/shared/mainsite/media/photos/pbn/{slots["country"][:2].lower()}{day}_1.jpg">'
        debris = [f'"{title}. {intro}"', "src=", path, "src=", path]
    split = len(body_lines) // 3
    raw_lines = [*NAV, title, *body_lines[:split], *debris, *body_lines[split:], *contacts, *FOOTER]
    return "\n".join(raw_lines), "\n".join([title, *body_lines, *contacts])


def release(index: int, seed: int = 0) -> tuple[str, str]:
    """Release ``index`` of corpus ``seed``: (raw page, the text meant to survive cleaning)."""
    for attempt in range(100):
        raw, body = _compose(random.Random(f"{seed}:{index}:{attempt}"))
        if _allowed(body):
            return raw, body
    raise RuntimeError(f"release {index}: every draw contains an answer to a real question; fix the word lists")


def real_release_files() -> list[Path]:
    return find_release_files([Settings().releases_dir])[0]


def measure(seed: int, settings: Settings) -> dict:
    """Chunks per synthetic release, with the real cleaning and chunker, over a sample of the corpus."""
    sample = [release(i, seed) for i in range(SAMPLE)]
    real = [read_release(path, settings.max_file_bytes).text for path in real_release_files()]
    boilerplate = BoilerplateDetector.from_texts([raw for raw, _ in sample] + real, settings.boilerplate_share,
                                                  settings.boilerplate_label_pages)
    chunker = ReleaseChunker(settings.chunk_size, settings.chunk_overlap, "sizing")

    def clean(text: str, rid: str):
        return clean_release(text, release_id=rid, source_path=rid, sha256="", boilerplate=boilerplate)

    synthetic_chunks, kept = [], []
    for i, (raw, body) in enumerate(sample):
        cleaned = clean(raw, f"syn_{i:06d}")
        leaked = set(cleaned.text.splitlines()) & set(NAV + FOOTER)
        if cleaned.title != body.splitlines()[0] or leaked:
            raise RuntimeError(f"cleaning kept site navigation in synthetic release {i}: {leaked or cleaned.title!r}")
        synthetic_chunks.append(len(chunker.chunk(cleaned)))
        kept.append(len(cleaned.text.split()) / len(body.split()))
    real_chunks = sum(len(chunker.chunk(clean(text, f"real{i}"))) for i, text in enumerate(real))
    return {
        "chunks_per_release": round(sum(synthetic_chunks) / len(synthetic_chunks), 3),
        "real_releases": len(real), "real_chunks": real_chunks,
        "words_kept_by_cleaning": round(sum(kept) / len(kept), 3),
    }


def write_corpus(out: Path, chunks: int, seed: int = 0, settings: Settings | None = None) -> dict:
    """Write about ``chunks`` chunks' worth of releases (the real ones included) into ``out``."""
    figures = measure(seed, settings or Settings())
    releases = max(0, math.ceil((chunks - figures["real_chunks"]) / figures["chunks_per_release"]))
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("syn_*.txt"):  # a previous, larger corpus
        stale.unlink()
    for i in range(releases):
        (out / f"syn_{i:06d}.txt").write_text(release(i, seed)[0], encoding="utf-8")
    for path in real_release_files():
        shutil.copy2(path, out / path.name)
    figures.update(
        requested_chunks=chunks, seed=seed, generator_version=GENERATOR_VERSION, synthetic_releases=releases,
        expected_chunks=round(figures["real_chunks"] + releases * figures["chunks_per_release"]),
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, required=True, help="About how many chunks ingesting DIR should give.")
    parser.add_argument("--out", type=Path, required=True, help="Directory for the release files.")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    figures = write_corpus(args.out, args.chunks, args.seed)
    print_table([figures], ["requested_chunks", "synthetic_releases", "chunks_per_release", "real_releases",
                            "real_chunks", "expected_chunks", "words_kept_by_cleaning"])
    write_json(args.out / "synthetic.json", figures)


if __name__ == "__main__":
    main()
