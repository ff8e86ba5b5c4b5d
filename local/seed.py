"""Synthetic intern profiles for the local demo (``make run SEED=N``) and the benchmarks.

Each profile is drawn from a coherent persona ("data analyst", "UX designer", "content
marketer", "full-stack student"…): the skills come from the persona's pool (sometimes
written the way people write them: "JS", "MS Excel", "PowerBI"), and the short bio talks
about work those skills would have produced. Deterministic for a given seed.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.tokens import derived_id
from chalicelib.domain.matching import InternProfile

__all__ = ["PERSONAS", "generate_profiles", "to_intern_profile"]


@dataclass(frozen=True)
class Persona:
    key: str
    major: tuple[str, ...]
    core: tuple[str, ...]  # always listed
    optional: tuple[str, ...]  # a few of these are listed
    topics: tuple[str, ...]  # what their past work was about
    sentences: tuple[str, ...]  # bio templates: {tool} {tool2} {topic} {org} {year} {major}
    weight: int  # relative frequency in the population


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "data analyst",
        ("economics", "business analytics", "statistics", "information systems"),
        ("sql", "excel", "data analysis"),
        (
            "python",
            "tableau",
            "power bi",
            "statistics",
            "google sheets",
            "pivot tables",
            "looker studio",
            "r",
            "data visualization",
            "dashboards",
            "data cleaning",
        ),
        (
            "customer churn",
            "retail sales",
            "survey responses",
            "web traffic",
            "inventory levels",
            "student retention",
            "donor giving",
            "delivery times",
            "subscription revenue",
        ),
        (
            "{year} {major} student who likes turning messy spreadsheets into clear answers.",
            "Built a {tool} dashboard tracking {topic} for {org}.",
            "Cleaned and analysed {topic} data with {tool} and {tool2}, then presented it.",
            "I use {tool} every week in my part-time role at {org}.",
        ),
        14,
    ),
    Persona(
        "data scientist",
        ("computer science", "data science", "mathematics", "physics"),
        ("python", "machine learning"),
        (
            "pandas",
            "scikit-learn",
            "sql",
            "statistics",
            "deep learning",
            "natural language processing",
            "jupyter",
            "numpy",
            "time series analysis",
            "data visualization",
            "regression analysis",
        ),
        (
            "customer churn",
            "product reviews",
            "energy demand",
            "loan defaults",
            "housing prices",
            "support tickets",
            "sales forecasts",
            "fraud signals",
        ),
        (
            "{year} {major} student focused on applied machine learning.",
            "Trained a {tool} model predicting {topic} for {org}.",
            "My capstone used {tool} and {tool2} to classify {topic}.",
            "Kaggle regular; I enjoy feature engineering and explaining models to non-experts.",
        ),
        8,
    ),
    Persona(
        "ux designer",
        ("interaction design", "psychology", "human-computer interaction", "cognitive science"),
        ("figma", "user experience design"),
        (
            "user research",
            "wireframing",
            "prototyping",
            "usability testing",
            "user interface design",
            "adobe xd",
            "information architecture",
            "accessibility",
            "design systems",
        ),
        (
            "an onboarding flow",
            "a checkout redesign",
            "a campus events app",
            "a booking flow",
            "a patient portal",
            "a donation page",
            "a mobile banking app",
        ),
        (
            "{year} {major} student designing calm, accessible interfaces.",
            "Redesigned {topic} for {org} in {tool}, tested with real users.",
            "Ran usability tests and interviews, then prototyped {topic} in {tool}.",
            "I care about research before pixels: interviews, journey maps, then wireframes.",
        ),
        8,
    ),
    Persona(
        "graphic designer",
        ("graphic design", "fine arts", "visual communication", "media studies"),
        ("graphic design", "adobe illustrator"),
        (
            "adobe photoshop",
            "canva",
            "branding",
            "logo design",
            "typography",
            "adobe indesign",
            "illustration",
            "infographics",
            "motion graphics",
        ),
        (
            "a café rebrand",
            "festival posters",
            "a podcast cover",
            "a non-profit annual report",
            "social media templates",
            "packaging for a local brewery",
            "a logo for a startup",
        ),
        (
            "{year} {major} student with a bold, clean visual style.",
            "Designed {topic} for {org} using {tool} and {tool2}.",
            "My portfolio includes {topic} and brand guidelines built in {tool}.",
            "Freelance designer for student societies: posters, logos and brand kits.",
        ),
        8,
    ),
    Persona(
        "content marketer",
        ("english", "communications", "marketing", "journalism"),
        ("content writing", "copywriting"),
        (
            "search engine optimization",
            "blogging",
            "content marketing",
            "social media marketing",
            "editing",
            "wordpress",
            "email marketing",
            "keyword research",
            "newsletters",
        ),
        (
            "sustainable fashion",
            "personal finance",
            "saas onboarding",
            "travel",
            "edtech",
            "health and wellness",
            "B2B software",
        ),
        (
            "{year} {major} student who writes clear, friendly copy.",
            "Wrote blog posts and newsletters about {topic} for {org}.",
            "Grew organic traffic for {org} with keyword-led articles on {topic}.",
            "I edit the student magazine and write website copy on the side.",
        ),
        9,
    ),
    Persona(
        "social media marketer",
        ("marketing", "communications", "media studies", "business"),
        ("social media marketing",),
        (
            "instagram",
            "tiktok",
            "canva",
            "content writing",
            "community management",
            "influencer marketing",
            "facebook ads",
            "video editing",
            "copywriting",
            "marketing analytics",
        ),
        (
            "a campus clothing brand",
            "a local gym",
            "a vegan bakery",
            "a music festival",
            "a language-learning app",
            "a student union",
        ),
        (
            "{year} {major} student who lives on {tool} and knows what makes people stop.",
            "Ran the {tool} account for {topic} and tripled engagement in a semester.",
            "Planned a month-long campaign for {topic} with {tool2} content and paid ads.",
            "I plan content calendars, shoot short videos and report on what worked.",
        ),
        9,
    ),
    Persona(
        "seo marketer",
        ("marketing", "business", "information systems"),
        ("search engine optimization", "google analytics"),
        (
            "keyword research",
            "semrush",
            "ahrefs",
            "google search console",
            "google ads",
            "content marketing",
            "conversion rate optimization",
            "wordpress",
            "a/b testing",
        ),
        (
            "an e-commerce store",
            "a dental clinic website",
            "a SaaS blog",
            "a travel agency",
            "a recipe site",
        ),
        (
            "{year} {major} student fascinated by search and growth.",
            "Ran a technical SEO audit for {topic} using {tool} and {tool2}.",
            "Improved rankings and conversions for {topic}; reported results in {tool}.",
            "I track everything: keywords, landing pages, conversion funnels.",
        ),
        5,
    ),
    Persona(
        "full-stack student",
        ("computer science", "software engineering", "information technology"),
        ("javascript", "web development"),
        (
            "react",
            "node.js",
            "typescript",
            "html",
            "css",
            "python",
            "postgresql",
            "mongodb",
            "git",
            "rest apis",
            "docker",
            "django",
            "next.js",
        ),
        (
            "a study-group finder",
            "a food-waste marketplace",
            "a club membership portal",
            "an internal booking tool",
            "a habit tracker",
            "a volunteer scheduling app",
        ),
        (
            "{year} {major} student who ships small web apps end to end.",
            "Built {topic} with {tool} and {tool2}, from database to deployment.",
            "Hackathon winner: {topic} in 36 hours using {tool}.",
            "Comfortable with APIs, auth, tests and code review.",
        ),
        10,
    ),
    Persona(
        "python developer",
        ("computer science", "data science", "engineering"),
        ("python",),
        (
            "web scraping",
            "sql",
            "flask",
            "django",
            "rest apis",
            "git",
            "pandas",
            "bash",
            "unit testing",
            "aws",
            "fastapi",
        ),
        (
            "price monitoring",
            "job listings",
            "public transport data",
            "research papers",
            "real-estate listings",
            "event tickets",
        ),
        (
            "{year} {major} student who automates boring tasks with Python.",
            "Wrote a scraper collecting {topic} daily with {tool}, stored in {tool2}.",
            "Built a small {tool} service and scripts for {topic} at {org}.",
            "I like clean, tested code and good documentation.",
        ),
        6,
    ),
    Persona(
        "finance student",
        ("finance", "accounting", "economics"),
        ("financial modeling", "excel"),
        (
            "financial analysis",
            "valuation",
            "discounted cash flow",
            "accounting",
            "forecasting",
            "powerpoint",
            "pitch decks",
            "budgeting",
            "bloomberg terminal",
            "unit economics",
        ),
        (
            "a seed-stage startup",
            "a student investment fund",
            "a family business",
            "a renewable energy project",
            "a coffee chain expansion",
        ),
        (
            "{year} {major} student and member of the investment society.",
            "Built a three-statement model and valuation for {topic} in {tool}.",
            "Prepared budgets and forecasts for {topic}, presented with {tool2}.",
            "I enjoy unit economics, scenario analysis and clean, auditable spreadsheets.",
        ),
        7,
    ),
    Persona(
        "strategy student",
        ("business", "international relations", "economics", "management"),
        ("market research", "powerpoint"),
        (
            "competitive analysis",
            "business strategy",
            "market entry strategy",
            "market sizing",
            "excel",
            "business plans",
            "go-to-market strategy",
            "industry analysis",
            "pitch decks",
            "desk research",
        ),
        (
            "the plant-based food market",
            "fintech in Southeast Asia",
            "EV charging",
            "the European coffee market",
            "edtech in Latin America",
            "B2B SaaS for restaurants",
        ),
        (
            "{year} {major} student who loves structured problem solving.",
            "Case competition finalist: market-entry plan for {topic}.",
            "Researched competitors and sized {topic} for {org}, delivered as a {tool} deck.",
            "I turn desk research into crisp recommendations.",
        ),
        8,
    ),
    Persona(
        "research assistant",
        ("psychology", "sociology", "public health", "political science"),
        ("survey design", "statistics"),
        (
            "spss",
            "r",
            "qualitative research",
            "quantitative research",
            "literature review",
            "interviewing",
            "academic writing",
            "data analysis",
            "excel",
            "stata",
        ),
        (
            "student wellbeing",
            "voter turnout",
            "food insecurity",
            "remote work habits",
            "patient satisfaction",
            "volunteer motivation",
        ),
        (
            "{year} {major} student and research assistant in a university lab.",
            "Designed and analysed a survey on {topic} with {tool}.",
            "Coded interviews about {topic} and wrote up the findings for {org}.",
            "Careful with sampling, question wording and honest reporting of results.",
        ),
        7,
    ),
    Persona(
        "video creator",
        ("film", "media studies", "communications"),
        ("video editing",),
        (
            "adobe premiere pro",
            "adobe after effects",
            "motion graphics",
            "scriptwriting",
            "youtube",
            "tiktok",
            "photography",
            "final cut pro",
        ),
        (
            "a product launch video",
            "a campus tour",
            "short explainer videos",
            "event recaps",
            "a documentary short",
        ),
        (
            "{year} {major} student who edits fast and tells stories with video.",
            "Shot and edited {topic} for {org} in {tool}.",
            "Made {topic} with {tool} and {tool2}, from script to final cut.",
            "My reels have six-figure views.",
        ),
        5,
    ),
    Persona(
        "operations coordinator",
        ("business", "management", "supply chain", "hospitality"),
        ("project management",),
        (
            "operations",
            "excel",
            "notion",
            "asana",
            "process improvement",
            "customer service",
            "administrative support",
            "google workspace",
            "event planning",
            "jira",
        ),
        (
            "a 300-person conference",
            "volunteer rotas",
            "a warehouse move",
            "supplier onboarding",
            "a charity fun run",
        ),
        (
            "{year} {major} student who keeps projects on time.",
            "Coordinated {topic} for {org} using {tool}.",
            "Mapped and simplified processes for {topic}; documented everything in {tool2}.",
            "Organised, calm under pressure, quick to reply.",
        ),
        6,
    ),
    Persona(
        "writer and editor",
        ("english", "journalism", "history", "philosophy"),
        ("editing", "proofreading"),
        (
            "technical writing",
            "copywriting",
            "grant writing",
            "report writing",
            "academic writing",
            "journalism",
            "translation",
            "case studies",
        ),
        ("grant applications", "user guides", "an annual report", "news features", "case studies"),
        (
            "{year} {major} student and editor at the student paper.",
            "Edited {topic} for {org}; known for tight deadlines met.",
            "Wrote {topic} and proofread everything twice.",
            "Plain language, consistent style, no typos.",
        ),
        5,
    ),
    Persona(
        "mobile developer",
        ("computer science", "software engineering"),
        ("android development",),
        (
            "kotlin",
            "swift",
            "flutter",
            "firebase",
            "java",
            "react native",
            "git",
            "ios development",
            "user interface design",
        ),
        ("a campus bus tracker", "a recipe app", "a budgeting app", "a language flashcard app"),
        (
            "{year} {major} student building mobile apps.",
            "Published {topic} on the app store, built with {tool} and {tool2}.",
            "I care about smooth animations and offline-first apps.",
        ),
        4,
    ),
)

# How people actually type some skills (the alias table folds them back).
_VARIANTS: dict[str, tuple[str, ...]] = {
    "javascript": ("JavaScript", "JS", "Javascript"),
    "excel": ("Excel", "MS Excel", "Microsoft Excel"),
    "power bi": ("Power BI", "PowerBI"),
    "machine learning": ("Machine Learning", "ML"),
    "user experience design": ("UX", "UX design", "User Experience"),
    "user interface design": ("UI design", "UI"),
    "search engine optimization": ("SEO", "Search Engine Optimisation"),
    "node.js": ("Node.js", "NodeJS", "node js"),
    "react": ("React", "React.js", "ReactJS"),
    "postgresql": ("PostgreSQL", "Postgres"),
    "financial modeling": ("Financial Modelling", "financial modeling"),
    "data visualization": ("Data Visualisation", "dataviz"),
    "natural language processing": ("NLP",),
    "adobe photoshop": ("Photoshop",),
    "adobe illustrator": ("Illustrator",),
    "social media marketing": ("Social Media", "social media marketing"),
    "google analytics": ("Google Analytics", "GA4"),
    "powerpoint": ("PowerPoint", "MS PowerPoint"),
}
_GENERIC = (
    "communication",
    "teamwork",
    "microsoft office",
    "spanish",
    "french",
    "public speaking",
    "problem solving",
    "google workspace",
    "canva",
)
_FIRST = (
    "Aisha",
    "Ben",
    "Carmen",
    "Dmitri",
    "Elif",
    "Farah",
    "Gabriel",
    "Hana",
    "Ibrahim",
    "Jia",
    "Kwame",
    "Lucia",
    "Mateo",
    "Nadia",
    "Oscar",
    "Priya",
    "Quinn",
    "Rosa",
    "Samir",
    "Tomás",
    "Uma",
    "Victor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Aarav",
    "Chloé",
    "Emeka",
    "Ingrid",
    "Kenji",
    "Leila",
    "Noah",
    "Sofia",
    "Thandiwe",
    "Anya",
)
_LAST = (
    "Okafor",
    "Nguyen",
    "García",
    "Kowalski",
    "Haddad",
    "Silva",
    "Chen",
    "Patel",
    "Müller",
    "Andersson",
    "Mensah",
    "Rossi",
    "Kim",
    "Novak",
    "O'Brien",
    "Yilmaz",
    "Fernández",
    "Ahmed",
    "Tanaka",
    "Dubois",
    "Costa",
    "Ivanova",
    "Mwangi",
    "Singh",
)
_SCHOOLS = (
    "State University",
    "City College",
    "Institute of Technology",
    "Polytechnic",
    "School of Economics",
    "Community College",
    "University of the Arts",
)
_TIMEZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Warsaw",
    "Africa/Lagos",
    "Africa/Nairobi",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
)
_ORGS = (
    "a campus coffee shop",
    "a local non-profit",
    "my university's admissions office",
    "a fintech startup",
    "a student society",
    "a family-run retailer",
    "a research lab",
    "a regional hospital",
    "a climate-tech startup",
    "the city council",
)
_YEARS = ("First-year", "Second-year", "Third-year", "Final-year", "Master's", "Graduate")
_HOURS = (5, 8, 10, 10, 12, 15, 15, 20, 20, 25, 30)


def _variant(rng: random.Random, skill: str) -> str:
    options = _VARIANTS.get(skill)
    if options and rng.random() < 0.4:
        return rng.choice(options)
    return skill if rng.random() < 0.5 else skill.title()


def _profile(
    rng: random.Random, n: int, personas: list[Persona], weights: list[int]
) -> dict[str, Any]:
    persona = rng.choices(personas, weights)[0]
    k = rng.randint(2, min(5, len(persona.optional)))
    skills = list(persona.core) + rng.sample(persona.optional, k)
    if rng.random() < 0.35:
        skills.append(rng.choice(_GENERIC))
    tools = [s for s in skills if s not in persona.core] or list(persona.core)
    tool, tool2 = rng.sample(tools, 2) if len(tools) > 1 else (tools[0], persona.core[0])
    count = rng.choice((1, 2, 2, 3))
    sentences = [persona.sentences[0], *rng.sample(persona.sentences[1:], count - 1)]
    values = {
        "tool": _display(tool),
        "tool2": _display(tool2),
        "topic": rng.choice(persona.topics),
        "org": rng.choice(_ORGS),
        "year": rng.choice(_YEARS),
        "major": rng.choice(persona.major),
    }
    bio = " ".join(s.format(**values) for s in sentences)
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    handle = _ascii(f"{first}.{last}".lower().replace("'", ""))
    completed = rating_count = rating_sum = 0
    if rng.random() < 0.35:
        completed = rng.randint(1, 15)
        rating_count = rng.randint(0, completed)
        rating_sum = sum(rng.choices((3, 4, 4, 5, 5, 5), k=rating_count))
    return {
        # The app's own shape (adapters/tokens.new_id("i")): one prefix, one length everywhere.
        "intern_id": derived_id("i", "seed", f"{rng.getrandbits(64):016x}"),
        "name": f"{first} {last}",
        "email": f"{handle}{n}@example.edu",
        "school": f"{rng.choice(_LAST)} {rng.choice(_SCHOOLS)}",
        "skills": [_variant(rng, s) for s in skills],
        "bio": bio,
        "hours_per_week": rng.choice(_HOURS),
        "timezone": rng.choice(_TIMEZONES),
        "portfolio_url": f"https://portfolio.example.com/{handle}{n}",
        "completed": completed,
        "rating_sum": rating_sum,
        "rating_count": rating_count,
    }


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _display(skill: str) -> str:
    options = _VARIANTS.get(skill)
    return options[0] if options else skill.title() if len(skill) > 3 else skill.upper()


def generate_profiles(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` realistic synthetic intern profiles; the same seed gives the same profiles."""
    rng = random.Random(seed)
    personas = list(PERSONAS)
    weights = [p.weight for p in personas]
    return [_profile(rng, i, personas, weights) for i in range(n)]


def to_intern_profile(d: dict[str, Any]) -> InternProfile:
    """The matching engine's view of a generated (or stored) profile dict."""
    return InternProfile(
        intern_id=str(d["intern_id"]),
        skills=tuple(str(s) for s in d.get("skills", ())),
        bio=str(d.get("bio", "")),
        hours_per_week=int(d.get("hours_per_week", 0)),
        timezone=str(d.get("timezone", "UTC")),
        completed=int(d.get("completed", 0)),
        rating_sum=int(d.get("rating_sum", 0)),
        rating_count=int(d.get("rating_count", 0)),
        name=str(d.get("name", "")),
        email=str(d.get("email", "")),
        school=str(d.get("school", "")),
        photo_url=str(d.get("photo_url", "")),
    )


if __name__ == "__main__":  # pragma: no cover - manual peek
    import json
    import sys

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print(json.dumps(generate_profiles(count), indent=2, ensure_ascii=False))
