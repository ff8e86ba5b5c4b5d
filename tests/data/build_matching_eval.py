"""Builds ``matching_eval.json``: realistic micro-internship briefs with graded candidate pools.

Run from the repository root:  python -m tests.data.build_matching_eval
(the JSON is checked in; rerunning with the same seed reproduces it byte for byte).

Each brief comes with three hand-written bios of people who did closely related work. The
pool for a brief is built from recruiter archetypes, each with the grade (0–3) a thoughtful
recruiter would give:

- 3  ideal: lists the required skills, bio shows this exact kind of work, has the time
     (one seasoned, one newcomer whose skills are written as aliases: "JS", "ML", "MS Excel")
- 2  strong bio but lists only some required skills
- 2  lists every skill and has the time, but the bio says nothing specific
- 2  strong, relevant, but short of time (about 70 % of the hours by the deadline)
- 1  relevant expert with almost no time (a few hours a week, short deadline)
- 1  keyword stuffer: every required skill plus a dozen others, bio about unrelated work,
     hardly any time
- 1  seasoned, well rated, shares one skill, bio from a different field
- 1  adjacent: shares a skill, bio from a related but different kind of work
- 0  unrelated: shares one generic skill, bio from a different field
- 1  lists the skills, relevant bio, but a poor rating record (some briefs)

Four more archetypes per brief (issue 17: the patterns that cost the scorer most on an
independent set), graded here before the scorer was tuned on them, drawn from their own
random stream so the candidates above are unchanged:

- 0  keyword stuffer with the time: every required skill plus a dozen others, bio from an
     unrelated field
- 1  keyword stuffer with the time: every required skill plus a dozen others, generic bio
- 1  relevant bio, every skill, well rated, but well under half the hours by the deadline
- 3  synonyms and tools: the required skills written the way people write them on a CV
     ("Jupyter" for python, "QBO" for quickbooks, "GSC" for SEO — ``TOOLS`` below, written
     by hand, not read from the scorer's table), relevant bio, the time
- 2  evidence only in the bio: a relevant bio, a skill list of soft skills and none of the
     required ones, the time

The scorer and this set were written by the same team, so the figures measure whether the
scorer captures these recruiter judgements — not an independent benchmark.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SKILLS_JSON = HERE.parents[1] / "chalicelib" / "domain" / "data" / "skills.json"
TODAY = "2025-03-03"
SEED = 2024

# (id, family, title, description, deliverables, required, nice, hours, days, bios[3])
BRIEFS: list[tuple[str, str, str, str, list[str], list[str], list[str], int, int, list[str]]] = [
    (
        "churn-analysis",
        "data",
        "Customer churn analysis for a meal-kit subscription",
        "We are a meal-kit subscription with 8,000 customers. Analyse twelve months of orders "
        "and cancellations, find what drives churn (plan type, delivery delays, discounts) and "
        "recommend two retention experiments.",
        [
            "Cleaned dataset and SQL queries",
            "Churn drivers report with charts",
            "Two retention experiment proposals",
        ],
        ["sql", "python", "data analysis"],
        ["tableau", "statistics"],
        25,
        21,
        [
            "Economics student; built a churn analysis for a streaming start-up, cohort retention "
            "curves in SQL and a pandas model of cancellation drivers.",
            "I analysed subscription cancellations for a gym chain: retention cohorts, survival "
            "curves and which discounts kept members. Python and SQL daily.",
            "Analytics intern at a SaaS company, where I tracked customer retention and churn "
            "dashboards and wrote up the drivers for the product team.",
        ],
    ),
    (
        "sales-dashboard-tableau",
        "data",
        "Tableau dashboard for regional sales",
        "Our sales team tracks five regions in spreadsheets. Build an interactive Tableau "
        "dashboard of revenue, pipeline and win rates by region and rep, refreshed from our "
        "monthly Excel exports.",
        ["Tableau workbook with three dashboard views", "Data model notes", "30-minute handover"],
        ["tableau", "excel"],
        ["sql", "data visualization"],
        20,
        14,
        [
            "Built Tableau dashboards of sales pipeline and revenue by region for a distributor; "
            "I love clean, interactive dashboard design.",
            "Business analytics student. Made a Tableau Public dashboard of regional sales and win "
            "rates from messy Excel exports; published it for my capstone.",
            "Reporting assistant who turned monthly Excel sales exports into dashboards with "
            "filters by rep and region.",
        ],
    ),
    (
        "powerbi-finance-dashboard",
        "data",
        "Power BI dashboard for nonprofit finance reporting",
        "A food bank needs a Power BI report of donations, grants and spending by programme, "
        "with a monthly budget versus actual view for the board.",
        ["Power BI report (.pbix)", "Budget vs actual page", "One-page guide for the board"],
        ["power bi", "excel"],
        ["power query", "budgeting"],
        20,
        21,
        [
            "Volunteer treasurer for a charity; I built their Power BI donations report with "
            "budget versus actual pages and Power Query refreshes.",
            "Accounting student comfortable in Power BI and DAX; made a grants and spending "
            "dashboard for our student union's board.",
            "I automate finance reporting: Excel models feeding Power BI visuals of budgets, "
            "donations and programme spend.",
        ],
    ),
    (
        "survey-analysis",
        "research",
        "Analyse our customer satisfaction survey",
        "We collected 1,200 responses to a customer satisfaction survey with rating scales and "
        "open comments. Analyse the results, segment by customer type, code the open comments "
        "into themes and summarise what to fix first.",
        [
            "Cleaned survey data",
            "Statistical summary by segment",
            "Coded comment themes",
            "Slide summary",
        ],
        ["survey design", "statistics"],
        ["spss", "qualitative research"],
        20,
        14,
        [
            "Psychology research assistant: I analyse survey responses in SPSS, run significance "
            "tests by segment and code open-ended comments into themes.",
            "Ran and analysed a 900-response satisfaction survey for my university's library; "
            "Likert scales, cross-tabs and thematic coding of comments.",
            "Public health student; I design questionnaires and report survey results with "
            "clear charts and honest confidence intervals.",
        ],
    ),
    (
        "ab-test-readout",
        "data",
        "A/B test readout for a pricing page experiment",
        "We ran an A/B test on our pricing page for four weeks. Check the experiment data, "
        "compute conversion uplift with confidence intervals, look for novelty effects and "
        "write a readout with a recommendation.",
        ["Analysis notebook", "Experiment readout (2 pages)"],
        ["statistics", "python"],
        ["a/b testing", "sql"],
        12,
        10,
        [
            "Statistics student who has analysed A/B experiments for an e-commerce site: uplift, "
            "confidence intervals, sample ratio checks, all in Python notebooks.",
            "Growth analytics intern; I wrote experiment readouts on conversion tests and pricing "
            "changes, with bootstrapped intervals.",
            "I love experimentation: designed and analysed split tests of landing pages and "
            "checkout flows, and explained the results to marketers.",
        ],
    ),
    (
        "ml-lead-scoring",
        "data",
        "Lead-scoring model for a B2B sales team",
        "Build a first machine learning model that scores inbound leads by their likelihood to "
        "convert, using our CRM export of 20,000 leads, and explain which features matter.",
        ["Training notebook", "Model with evaluation metrics", "Feature importance summary"],
        ["python", "machine learning"],
        ["scikit-learn", "sql"],
        30,
        21,
        [
            "Data science student; trained gradient boosting models on CRM lead data to predict "
            "conversion and explained feature importance to a sales team.",
            "Built ML classifiers in scikit-learn for loan default and lead conversion; I care "
            "about honest evaluation and calibration.",
            "My capstone predicted which B2B leads convert using logistic regression and random "
            "forests, with SHAP explanations.",
        ],
    ),
    (
        "nlp-reviews",
        "data",
        "Topic analysis of 10,000 app store reviews",
        "Classify and cluster our app store reviews to find the top complaints and feature "
        "requests per release, using NLP techniques, and summarise trends over time.",
        ["Labelled review dataset", "Topic model or classifier", "Trend report"],
        ["python", "natural language processing"],
        ["machine learning", "data visualization"],
        25,
        21,
        [
            "I built an NLP pipeline that clustered product reviews into topics and tracked "
            "complaints per release for a mobile app.",
            "Computational linguistics student: sentiment analysis, topic modelling and text "
            "classification of customer reviews in Python.",
            "Analysed thousands of support tickets with NLP topic models and keyword extraction to "
            "find recurring complaints.",
        ],
    ),
    (
        "python-scraper",
        "software",
        "Python scraper for competitor prices",
        "Write a Python scraper that collects daily prices and stock status for 500 products "
        "from four competitor websites, respecting robots.txt, and stores them in a CSV or "
        "SQLite database.",
        ["Scraper code with README", "Sample dataset", "Scheduling instructions"],
        ["python", "web scraping"],
        ["sql", "git"],
        15,
        10,
        [
            "Wrote Python scrapers with BeautifulSoup and Scrapy collecting competitor prices "
            "daily into SQLite for an online shop.",
            "Computer science student who automates data collection: web scraping of product "
            "listings and prices, polite crawling, scheduled jobs.",
            "Built a price monitoring tool that scrapes e-commerce sites and alerts on price "
            "changes; clean, tested Python.",
        ],
    ),
    (
        "data-cleaning-crm",
        "data",
        "Clean and deduplicate our CRM contacts",
        "Our CRM has 30,000 contacts with duplicates, inconsistent company names and missing "
        "fields. Clean, standardise and deduplicate them, and document the rules you used.",
        ["Cleaned contact file", "Deduplication rules document"],
        ["excel", "data cleaning"],
        ["python", "crm"],
        15,
        14,
        [
            "I cleaned and deduplicated a 25,000-row donor database: fuzzy matching of names, "
            "standardised companies, documented every rule.",
            "Data cleaning is my favourite part of analysis; I use Excel Power Query and Python to "
            "standardise messy CRM exports.",
            "Operations assistant who merged duplicate customer records and fixed missing fields "
            "in our CRM before a migration.",
        ],
    ),
    (
        "forecast-demand",
        "data",
        "Weekly demand forecast for a bakery chain",
        "Forecast weekly demand for 40 products across six bakeries using two years of sales "
        "history, weather and holidays, so we can cut waste.",
        ["Forecasting notebook", "Forecast accuracy report", "Weekly forecast template"],
        ["python", "time series analysis"],
        ["forecasting", "pandas"],
        30,
        28,
        [
            "Built time series forecasts of weekly sales for a grocery co-op with seasonality, "
            "holidays and weather regressors in Python.",
            "Econometrics student; demand forecasting with ARIMA and Prophet, measured with "
            "backtests and MAPE.",
            "I forecast energy demand in my lab using time series models and pandas, and explain "
            "the forecasts to non-specialists.",
        ],
    ),
    (
        "ux-research-onboarding",
        "design",
        "UX research on our app onboarding",
        "Interview eight new users of our budgeting app, run usability tests of the onboarding "
        "flow, and synthesise findings into prioritised recommendations.",
        ["Interview guide", "Usability test notes", "Findings and recommendations deck"],
        ["user research", "usability testing"],
        ["figma", "interviewing"],
        25,
        21,
        [
            "HCI student; I run user interviews and usability tests of onboarding flows, then "
            "synthesise findings into affinity maps and recommendations.",
            "Ran usability testing for a banking app's onboarding with eight participants and "
            "presented prioritised UX recommendations.",
            "UX research assistant: interview guides, moderated usability sessions, journey maps "
            "and clear findings decks.",
        ],
    ),
    (
        "figma-landing-redesign",
        "design",
        "Redesign a landing page in Figma",
        "Redesign the landing page of our language-learning app to improve sign-ups: "
        "wireframes, a high-fidelity Figma design for desktop and mobile, and a clickable "
        "prototype.",
        ["Wireframes", "High-fidelity Figma design", "Clickable prototype"],
        ["figma", "user interface design"],
        ["prototyping", "web design"],
        20,
        14,
        [
            "Product design student; I redesigned landing pages in Figma for two startups, from "
            "wireframes to responsive high-fidelity prototypes.",
            "UI designer who loves clean landing page layouts; Figma components, auto layout and "
            "clickable prototypes for mobile and desktop.",
            "Designed the sign-up page and marketing site of a campus app in Figma; conversions "
            "rose after the redesign.",
        ],
    ),
    (
        "mobile-app-ui",
        "design",
        "UI kit for a fitness mobile app",
        "Design a consistent UI kit (colours, type, components) for our fitness app and apply "
        "it to five key screens, ready for developers to build.",
        ["UI kit in Figma", "Five designed screens", "Developer handoff notes"],
        ["user interface design", "figma"],
        ["design systems", "prototyping"],
        25,
        21,
        [
            "I build design systems and UI kits in Figma: tokens, components, and handoff specs "
            "for mobile app screens.",
            "Interaction design student; designed the UI kit and key screens of a habit-tracking "
            "mobile app with developer handoff.",
            "Mobile UI designer with a portfolio of fitness and wellness app screens built from a "
            "consistent component library.",
        ],
    ),
    (
        "logo-brand-identity",
        "design",
        "Logo and brand identity for a coffee roaster",
        "We are a small coffee roaster launching online. Design a logo, colour palette, "
        "typography and a short brand guideline for packaging and social media.",
        ["Logo in vector formats", "Brand guideline (6-10 pages)", "Packaging label mock-up"],
        ["logo design", "adobe illustrator"],
        ["branding", "typography"],
        20,
        21,
        [
            "Graphic design student specialising in brand identity; designed logos and brand "
            "guidelines for a café and a bakery in Illustrator.",
            "I create logos, colour palettes and packaging labels for small food brands; vector "
            "work in Illustrator, mock-ups in Photoshop.",
            "Freelance brand designer: logo design, typography systems and brand books for "
            "independent shops.",
        ],
    ),
    (
        "social-graphics",
        "design",
        "Social media graphics pack for a product launch",
        "Create 20 on-brand social media graphics and 5 short animated stories for the launch of "
        "our reusable water bottle, following our brand guidelines.",
        ["20 static graphics", "5 animated stories", "Editable templates"],
        ["graphic design", "canva"],
        ["adobe photoshop", "motion graphics"],
        15,
        10,
        [
            "I design social media graphics and story templates for brands in Canva and "
            "Photoshop; launched a product campaign for a skincare startup.",
            "Visual communication student making scroll-stopping launch graphics, carousels and "
            "animated stories that stay on brand.",
            "Designed a 30-post launch graphics pack for a sneaker brand and editable Canva "
            "templates for their team.",
        ],
    ),
    (
        "infographic-report",
        "design",
        "Infographics for an annual impact report",
        "Turn the key numbers of our nonprofit's annual impact report into eight clear "
        "infographics and lay out the 12-page report in InDesign.",
        ["Eight infographics", "12-page report layout in InDesign"],
        ["infographics", "adobe indesign"],
        ["data visualization", "adobe illustrator"],
        25,
        21,
        [
            "Information design student: I turn statistics into clear infographics and lay out "
            "annual reports in InDesign.",
            "Designed the impact report of a charity, eight infographics and a 16-page InDesign "
            "layout, printed and online.",
            "I make data-driven infographics and editorial layouts; typography and charts are my "
            "thing.",
        ],
    ),
    (
        "explainer-video",
        "design",
        "60-second explainer video for our app",
        "Script, animate and edit a 60-second explainer video for our invoicing app with "
        "motion graphics and voice-over, in 16:9 and 9:16 formats.",
        ["Script", "Animated explainer video", "Vertical cut for social"],
        ["video editing", "motion graphics"],
        ["adobe after effects", "scriptwriting"],
        30,
        21,
        [
            "Motion designer; I animate explainer videos in After Effects, from script and "
            "storyboard to final edit with voice-over.",
            "Film student who made animated explainers for two SaaS products, plus vertical cuts "
            "for social media.",
            "I edit and animate short product videos, motion graphics and captions for startups.",
        ],
    ),
    (
        "instagram-campaign",
        "marketing",
        "Instagram and TikTok campaign for a vegan bakery",
        "Plan and run a four-week social media campaign to launch our vegan bakery's new "
        "delivery service: content calendar, posts, reels and a results report.",
        ["Content calendar", "12 posts and 6 reels", "Campaign results report"],
        ["social media marketing", "instagram"],
        ["tiktok", "canva"],
        25,
        28,
        [
            "Ran Instagram and TikTok campaigns for a local café's launch: content calendar, "
            "reels, and a results report; follower growth 40 %.",
            "Marketing student who manages social media for two food businesses; I plan content, "
            "shoot reels and report engagement weekly.",
            "Social media intern at a restaurant group: campaign planning, Instagram reels and "
            "community replies.",
        ],
    ),
    (
        "linkedin-b2b-content",
        "marketing",
        "LinkedIn content plan for a B2B software company",
        "Write a month of LinkedIn posts for our founders and company page about workplace "
        "scheduling, with a content plan and performance tracking.",
        ["Content plan", "16 LinkedIn posts", "Performance tracking sheet"],
        ["linkedin marketing", "copywriting"],
        ["content marketing", "b2b"],
        15,
        21,
        [
            "I ghost-write LinkedIn posts for B2B founders; grew a SaaS CEO's following with a "
            "weekly content plan.",
            "Communications student who writes B2B copy and LinkedIn thought-leadership posts, and "
            "tracks engagement.",
            "Content marketing intern at a software company; planned and wrote LinkedIn content "
            "for the company page.",
        ],
    ),
    (
        "seo-audit",
        "marketing",
        "SEO audit of an e-commerce site",
        "Audit our Shopify store for technical and on-page SEO: crawl issues, page speed, "
        "keyword targeting of category pages, and give a prioritised fix list.",
        ["Crawl and technical audit", "Keyword map for category pages", "Prioritised fix list"],
        ["search engine optimization", "keyword research"],
        ["google search console", "shopify"],
        20,
        14,
        [
            "Ran technical SEO audits for two online stores with Screaming Frog and Search "
            "Console, then built keyword maps for category pages.",
            "SEO freelancer: on-page optimisation, site speed, crawl errors and keyword research "
            "for e-commerce clients.",
            "Marketing student who grew organic traffic for a Shopify store by fixing crawl "
            "issues and rewriting category pages around keywords.",
        ],
    ),
    (
        "google-ads",
        "marketing",
        "Set up and optimise a Google Ads search campaign",
        "Set up a Google Ads search campaign for our dental clinic: keyword research, ad copy, "
        "conversion tracking, and two weeks of optimisation with a report.",
        ["Campaign structure and keywords", "Ad copy variants", "Optimisation report"],
        ["google ads", "keyword research"],
        ["google analytics", "copywriting"],
        20,
        28,
        [
            "Google Ads certified; I managed paid search campaigns for local services with "
            "conversion tracking and weekly optimisation.",
            "PPC intern at an agency: keyword research, ad copy testing and bid adjustments for "
            "search campaigns.",
            "I set up search campaigns for a physiotherapy clinic and cut cost per booking by a "
            "third.",
        ],
    ),
    (
        "email-nurture",
        "marketing",
        "Email nurture sequence for trial users",
        "Write and build a six-email nurture sequence in Mailchimp that turns free-trial users "
        "of our note-taking app into paying customers, with A/B subject lines.",
        ["Six emails", "Mailchimp automation", "Test plan for subject lines"],
        ["email marketing", "copywriting"],
        ["mailchimp", "a/b testing"],
        15,
        14,
        [
            "I write email nurture sequences for SaaS trials; built onboarding automations in "
            "Mailchimp with subject-line tests.",
            "Copywriter who specialises in lifecycle email: welcome series, trial conversion and "
            "win-back campaigns.",
            "Email marketing intern: wrote and automated drip campaigns and reported open and "
            "click rates.",
        ],
    ),
    (
        "influencer-outreach",
        "marketing",
        "Influencer outreach for a sustainable fashion brand",
        "Find 50 micro-influencers who fit our sustainable fashion brand, qualify them, write "
        "outreach messages and track responses.",
        ["Influencer shortlist with metrics", "Outreach templates", "Response tracker"],
        ["influencer marketing", "social media marketing"],
        ["instagram", "tiktok"],
        20,
        21,
        [
            "Ran influencer outreach for an ethical fashion label: shortlisted creators, "
            "negotiated gifting and tracked responses.",
            "I research and contact micro-influencers on Instagram and TikTok for beauty and "
            "fashion brands.",
            "Fashion marketing student; built influencer shortlists with engagement metrics and "
            "outreach templates for a clothing startup.",
        ],
    ),
    (
        "blog-content",
        "writing",
        "Four SEO blog articles on personal finance",
        "Write four 1,500-word blog articles on budgeting for students, optimised for our "
        "target keywords, in a friendly, expert tone.",
        ["Four articles", "Meta titles and descriptions"],
        ["content writing", "search engine optimization"],
        ["blogging", "editing"],
        20,
        14,
        [
            "I write personal finance articles and budgeting guides for student audiences, "
            "keyword-researched and optimised for search.",
            "Blogger and economics student; my articles on saving money and budgeting rank on the "
            "first page of search results.",
            "Content writer for a fintech blog: long-form SEO articles about money, credit and "
            "budgeting.",
        ],
    ),
    (
        "case-studies",
        "writing",
        "Customer case studies for a logistics startup",
        "Interview three customers and write three case studies about how they cut delivery "
        "costs with our routing software.",
        ["Three customer interviews", "Three case studies (800 words each)"],
        ["case studies", "copywriting"],
        ["interviewing", "editing"],
        20,
        21,
        [
            "I interview customers and write case studies for B2B software companies; recent ones "
            "covered logistics and delivery savings.",
            "Journalism student turned B2B writer: customer interviews, success stories and "
            "testimonials.",
            "Wrote customer stories and case studies for a SaaS company's website, from interview "
            "to final draft.",
        ],
    ),
    (
        "grant-proposal",
        "writing",
        "Grant proposal for a youth coding programme",
        "Draft a grant proposal for a foundation that funds youth digital skills: need "
        "statement, programme design, outcomes and budget narrative.",
        ["Full proposal draft", "Budget narrative", "Letter of inquiry"],
        ["grant writing", "report writing"],
        ["budgeting", "editing"],
        25,
        21,
        [
            "I have written successful grant proposals for two youth charities, including need "
            "statements, outcomes and budget narratives.",
            "Nonprofit studies student; drafted foundation grant applications and letters of "
            "inquiry for an education charity.",
            "Grant writer volunteer: researched funders and wrote proposals for community "
            "programmes.",
        ],
    ),
    (
        "technical-docs",
        "writing",
        "Developer documentation for a REST API",
        "Write getting-started guides and reference documentation for our public REST API, "
        "with code examples in Python and JavaScript.",
        ["Getting-started guide", "API reference pages", "Code samples"],
        ["technical writing", "rest apis"],
        ["python", "javascript"],
        25,
        21,
        [
            "Technical writer who documents REST APIs: quick starts, reference pages and code "
            "samples in Python and JS.",
            "CS student who wrote the developer docs for an open-source API client, with "
            "runnable examples.",
            "I write developer documentation and tutorials; I can read code and test every "
            "example.",
        ],
    ),
    (
        "press-release",
        "writing",
        "Press release and media list for a product launch",
        "Write a press release for the launch of our accessible e-reader and build a media "
        "list of 40 tech and disability journalists.",
        ["Press release", "Media list", "Pitch email"],
        ["press releases", "public relations"],
        ["copywriting", "journalism"],
        10,
        14,
        [
            "PR student who writes press releases and pitches journalists; secured coverage for "
            "a campus tech launch.",
            "I build media lists and write launch press releases for consumer tech brands.",
            "Communications intern at a PR agency: press releases, media outreach and coverage "
            "reports.",
        ],
    ),
    (
        "react-widget",
        "software",
        "Build a React booking widget",
        "Build an embeddable React booking widget that shows available slots from our REST "
        "API and lets customers book, with tests and basic accessibility.",
        ["React component package", "Tests", "Integration guide"],
        ["react", "javascript"],
        ["typescript", "rest apis"],
        30,
        21,
        [
            "Front-end developer building React components with TypeScript, tests and "
            "accessibility; made a booking calendar for a salon.",
            "I build React apps that talk to REST APIs; shipped a reservation widget embedded on "
            "partner sites.",
            "CS student who loves front-end work: React hooks, accessible forms and Jest tests.",
        ],
    ),
    (
        "node-api",
        "software",
        "Node.js API for a volunteer scheduling app",
        "Build a small Node.js REST API with authentication and a PostgreSQL database for "
        "volunteers to sign up for shifts.",
        ["API code with tests", "Database schema", "Deployment notes"],
        ["node.js", "postgresql"],
        ["rest apis", "docker"],
        30,
        28,
        [
            "Back-end developer: Node.js and Express REST APIs with PostgreSQL, auth and tests; "
            "built a volunteer rota system for a charity.",
            "I build APIs in Node with Postgres and deploy them in Docker containers.",
            "Software engineering student; designed database schemas and REST endpoints for a "
            "shift scheduling app.",
        ],
    ),
    (
        "wordpress-site",
        "software",
        "WordPress site for a community theatre",
        "Build a five-page WordPress site with an events calendar and ticket links for our "
        "community theatre, using an accessible theme we can edit ourselves.",
        ["WordPress site", "Events calendar", "Editing guide"],
        ["wordpress", "web design"],
        ["css", "accessibility"],
        20,
        21,
        [
            "I build WordPress sites for small organisations: events calendars, accessible "
            "themes and editing guides.",
            "Web designer who made sites for a choir and a dance school in WordPress.",
            "Freelance WordPress developer; theme customisation with CSS and plugin setup.",
        ],
    ),
    (
        "excel-automation",
        "data",
        "Automate a weekly Excel report with VBA",
        "Our operations team spends four hours a week building a stock report in Excel. "
        "Automate it with macros or Power Query so it refreshes in one click.",
        ["Automated workbook", "Short user guide"],
        ["excel", "vba"],
        ["power query", "pivot tables"],
        12,
        10,
        [
            "I automate Excel reports with VBA macros and Power Query; cut a weekly inventory "
            "report from hours to one click.",
            "Operations analyst student: pivot tables, macros and automated stock reports.",
            "Built Excel VBA tools for a warehouse to refresh weekly reports automatically.",
        ],
    ),
    (
        "financial-model",
        "finance",
        "Three-statement financial model for a seed-stage startup",
        "Build a three-year monthly financial model for our seed-stage subscription startup: "
        "revenue drivers, hiring plan, cash runway and fundraising scenarios.",
        ["Financial model in Excel", "Scenario summary", "Assumptions log"],
        ["financial modeling", "excel"],
        ["forecasting", "unit economics"],
        25,
        21,
        [
            "Finance student; I built three-statement models for startups in my university "
            "venture fund, with runway and fundraising scenarios.",
            "Built a monthly financial model for a SaaS startup: subscription revenue drivers, "
            "hiring plan, burn and cash runway.",
            "I love startup finance: unit economics, scenario analysis and clean Excel models "
            "that founders can maintain.",
        ],
    ),
    (
        "dcf-valuation",
        "finance",
        "DCF valuation of a listed renewable energy company",
        "Prepare an equity research style DCF valuation of a listed renewable energy company, "
        "with comparables and a short investment memo.",
        ["DCF model", "Comparables table", "Investment memo"],
        ["discounted cash flow", "valuation"],
        ["equity research", "financial analysis"],
        25,
        21,
        [
            "Investment society analyst: I wrote equity research notes with DCF valuations and "
            "comparables for energy companies.",
            "Finance student who built DCF and comparable company valuations for a stock pitch "
            "competition.",
            "I value companies: discounted cash flow, WACC, trading comparables and clear "
            "investment memos.",
        ],
    ),
    (
        "pitch-deck",
        "finance",
        "Investor pitch deck for a climate-tech startup",
        "Turn our business plan into a 12-slide investor pitch deck for our seed round: "
        "problem, solution, market, traction, business model, team and the ask.",
        ["12-slide pitch deck", "Speaker notes"],
        ["pitch decks", "powerpoint"],
        ["presentation design", "market sizing"],
        15,
        14,
        [
            "I design investor pitch decks for startups; helped two founders raise pre-seed "
            "rounds with clear story and slides.",
            "Entrepreneurship student who builds pitch decks in PowerPoint: narrative, market "
            "slides and the ask.",
            "Made seed-round pitch decks and speaker notes for climate and fintech founders.",
        ],
    ),
    (
        "bookkeeping-cleanup",
        "finance",
        "Bookkeeping clean-up in QuickBooks",
        "Reconcile six months of bank transactions in QuickBooks, fix miscategorised expenses "
        "and prepare monthly profit and loss statements for our studio.",
        ["Reconciled accounts", "Monthly P&L statements", "Notes on fixes"],
        ["bookkeeping", "quickbooks"],
        ["accounting", "excel"],
        20,
        21,
        [
            "Accounting student; I do bookkeeping in QuickBooks for two small businesses: bank "
            "reconciliations and monthly P&L.",
            "Reconciled a year of transactions and cleaned up the chart of accounts for a yoga "
            "studio in QuickBooks Online.",
            "Bookkeeper assistant: categorising expenses, reconciling accounts, month-end reports.",
        ],
    ),
    (
        "competitive-analysis",
        "strategy",
        "Competitive analysis of project management tools",
        "Analyse ten competitors in the project management software market for small agencies: "
        "features, pricing, positioning and reviews, and recommend where we can differentiate.",
        ["Competitor matrix", "Pricing comparison", "Positioning recommendations"],
        ["competitive analysis", "market research"],
        ["pricing strategy", "excel"],
        20,
        14,
        [
            "Strategy student who produced competitive analyses of SaaS tools: feature matrices, "
            "pricing comparisons and positioning maps.",
            "I researched competitors for a productivity app startup, compared pricing and "
            "reviews, and recommended a differentiation angle.",
            "Product marketing intern: competitor research and positioning for B2B software.",
        ],
    ),
    (
        "market-entry",
        "strategy",
        "Market-entry strategy for a Spanish edtech in Mexico",
        "Assess the opportunity for our language-learning app to enter Mexico: market size, "
        "competitors, regulation, channels and a go-to-market recommendation.",
        ["Market sizing", "Competitor landscape", "Go-to-market recommendation deck"],
        ["market entry strategy", "market research"],
        ["spanish", "market sizing"],
        30,
        28,
        [
            "International business student; case-competition finalist with a market-entry "
            "strategy for a European app entering Latin America.",
            "I sized markets and mapped competitors for a fintech's expansion into Mexico, and "
            "wrote the go-to-market recommendation.",
            "Bilingual Spanish speaker who researches market entry: regulation, channels and "
            "local competitors in Latin America.",
        ],
    ),
    (
        "market-sizing",
        "strategy",
        "Market sizing for an EV charging service",
        "Estimate the serviceable market for home EV charger installation in three US states "
        "with top-down and bottom-up approaches, and document every assumption.",
        ["TAM/SAM/SOM model", "Assumptions document"],
        ["market sizing", "excel"],
        ["market research", "industry analysis"],
        15,
        14,
        [
            "I build top-down and bottom-up market sizing models; recent work estimated EV "
            "charging demand by state.",
            "Consulting club member: market sizing cases, TAM SAM SOM models in Excel with clear "
            "assumptions.",
            "Energy economics student who researched electric vehicle adoption and charger "
            "installation markets.",
        ],
    ),
    (
        "business-plan",
        "strategy",
        "Business plan for a community bike repair shop",
        "Write a business plan for a nonprofit bike repair shop: services, customers, "
        "operations, staffing and a two-year budget, for a city grant application.",
        ["Business plan (15 pages)", "Two-year budget"],
        ["business plans", "budgeting"],
        ["market research", "report writing"],
        25,
        28,
        [
            "I wrote business plans for two social enterprises, including operations, staffing "
            "and budgets for grant applications.",
            "Social entrepreneurship student: business planning, budgets and funder-ready "
            "documents.",
            "Helped a community café write its business plan and two-year budget.",
        ],
    ),
    (
        "user-interviews-discovery",
        "research",
        "Customer discovery interviews for a pet-care startup",
        "Recruit and interview 12 dog owners about how they book walkers and sitters, "
        "synthesise their jobs to be done and pains, and recommend what to build first.",
        ["Interview guide", "12 interview notes", "Synthesis and recommendations"],
        ["customer discovery", "interviewing"],
        ["qualitative research", "user research"],
        20,
        21,
        [
            "I ran customer discovery interviews for two student startups and synthesised jobs "
            "to be done and pain points.",
            "Anthropology student; qualitative interviewing, recruiting participants and "
            "affinity-map synthesis.",
            "Interviewed pet owners about booking walkers for a startup idea and turned it into "
            "a prioritised feature list.",
        ],
    ),
    (
        "literature-review",
        "research",
        "Literature review on remote work and wellbeing",
        "Review recent academic research on remote work and employee wellbeing, summarise the "
        "evidence and its quality, and write a 10-page review for our HR team.",
        ["Annotated bibliography", "10-page literature review"],
        ["literature review", "academic writing"],
        ["academic research", "human resources"],
        25,
        28,
        [
            "Psychology graduate student; I write systematic literature reviews on workplace "
            "wellbeing and remote work.",
            "Research assistant who summarises academic evidence and its quality for policy "
            "audiences.",
            "I compiled an annotated bibliography and review of studies on hybrid work and "
            "burnout for a professor.",
        ],
    ),
    (
        "policy-brief",
        "research",
        "Policy brief on student housing affordability",
        "Research student housing affordability in our city, compare policies from three "
        "other cities, and write a four-page policy brief for the council.",
        ["Evidence summary", "Policy comparison", "Four-page brief"],
        ["policy research", "report writing"],
        ["data analysis", "desk research"],
        20,
        21,
        [
            "Public policy student; wrote policy briefs on housing affordability and rent "
            "regulation for a city councillor.",
            "I research and compare housing policies across cities and write concise briefs.",
            "Urban studies student who analysed rental data and drafted a policy memo on student "
            "housing.",
        ],
    ),
    (
        "event-planning",
        "ops",
        "Plan a 150-person alumni networking event",
        "Plan our alumni networking evening: venue shortlist, budget, run-of-show, supplier "
        "bookings and registration, and coordinate on the night.",
        ["Venue shortlist and budget", "Run-of-show", "Registration page"],
        ["event planning", "project management"],
        ["budgeting", "vendor management"],
        25,
        28,
        [
            "I planned a 200-person conference for my student society: venue, suppliers, budget "
            "and run-of-show.",
            "Events coordinator intern who organised networking evenings and managed "
            "registrations and vendors.",
            "Hospitality student; planned alumni and fundraising events end to end.",
        ],
    ),
    (
        "process-mapping",
        "ops",
        "Map and improve our customer onboarding process",
        "Map how new customers are onboarded across sales, finance and support, find the "
        "bottlenecks, and propose a simpler process with checklists in Notion.",
        ["Current-state process map", "Future-state process", "Notion checklists"],
        ["process improvement", "operations"],
        ["notion", "project management"],
        20,
        21,
        [
            "Operations student who maps processes and removes bottlenecks; documented a new "
            "onboarding workflow in Notion for a startup.",
            "Lean six sigma yellow belt; I improved a clinic's patient intake process with "
            "process maps and checklists.",
            "I simplify messy workflows: swimlane maps, handoff checklists and clear SOPs.",
        ],
    ),
    (
        "lead-generation",
        "ops",
        "Build a lead list of 200 independent gyms",
        "Research and build a qualified list of 200 independent gyms in the UK with decision "
        "makers, emails and size, and load it into our HubSpot CRM.",
        ["Qualified lead list", "HubSpot import", "Research notes"],
        ["lead generation", "crm"],
        ["hubspot", "excel"],
        15,
        14,
        [
            "Sales development intern: prospecting and building qualified lead lists with "
            "decision makers, loaded into HubSpot.",
            "I research B2B leads on LinkedIn and company sites and keep the CRM clean.",
            "Built a list of 300 fitness studios with contacts for a SaaS sales team.",
        ],
    ),
]

# Bios that show no specific work: they claim everything and evidence nothing.
GENERIC_BIOS = [
    "Hard-working and motivated student, quick learner, eager to gain experience.",
    "Passionate about learning new things and working in a team. Detail oriented.",
    "Enthusiastic student looking for opportunities to grow my skills.",
    "Reliable, organised and a fast learner. Open to any project.",
    "I am a dedicated student who enjoys challenges and meeting deadlines.",
]

# A few extra skills a stuffer lists on top of everything.
STUFFING = [
    "python",
    "sql",
    "excel",
    "figma",
    "seo",
    "copywriting",
    "react",
    "tableau",
    "power bi",
    "machine learning",
    "photoshop",
    "canva",
    "project management",
    "market research",
    "financial modeling",
    "social media marketing",
    "wordpress",
    "public speaking",
    "data analysis",
    "leadership",
    "communication",
    "javascript",
    "video editing",
]


# How people write the required skills of these briefs on a profile: synonyms, acronyms and
# the tools that stand for the skill. Written by hand for the eval, independently of the
# scorer's alias table (chalicelib/domain/data/skills.json).
TOOLS: dict[str, list[str]] = {
    "academic writing": ["scholarly writing", "journal articles"],
    "adobe illustrator": ["AI (Illustrator)", "Illustrator CC"],
    "adobe indesign": ["InDesign CC", "indd layouts"],
    "bookkeeping": ["Xero", "accounts payable/receivable"],
    "budgeting": ["budget forecasting", "YNAB"],
    "business plans": ["business planning", "lean canvas"],
    "canva": ["Canva Pro", "canva.com"],
    "case studies": ["customer stories", "case study writing"],
    "competitive analysis": ["competitor research", "competitive intelligence"],
    "content writing": ["blogging", "blog posts"],
    "copywriting": ["ad copy", "UX writing"],
    "crm": ["Salesforce", "HubSpot CRM"],
    "customer discovery": ["jobs to be done", "JTBD"],
    "data analysis": ["Jupyter", "pandas"],
    "data cleaning": ["OpenRefine", "data wrangling"],
    "discounted cash flow": ["DCF", "DCF modelling"],
    "email marketing": ["Mailchimp", "Klaviyo"],
    "event planning": ["event management", "Eventbrite"],
    "excel": ["MS Excel", "XLOOKUP"],
    "figma": ["FigJam", "Figma prototyping"],
    "financial modeling": ["3-statement models", "financial modelling"],
    "google ads": ["Google AdWords", "PPC"],
    "grant writing": ["grant proposals", "funding applications"],
    "graphic design": ["Canva", "Adobe Creative Suite"],
    "influencer marketing": ["creator partnerships", "influencer outreach"],
    "infographics": ["information design", "Piktochart"],
    "instagram": ["IG", "Instagram Reels"],
    "interviewing": ["user interviews", "stakeholder interviews"],
    "javascript": ["ES6", "TypeScript"],
    "keyword research": ["Ahrefs", "SEMrush"],
    "lead generation": ["prospecting", "lead gen"],
    "linkedin marketing": ["LinkedIn Ads", "LinkedIn content"],
    "literature review": ["systematic review", "lit review"],
    "logo design": ["brand identity", "logotypes"],
    "machine learning": ["scikit-learn", "XGBoost"],
    "market entry strategy": ["go-to-market", "GTM strategy"],
    "market research": ["consumer research", "desk research"],
    "market sizing": ["TAM SAM SOM", "TAM analysis"],
    "motion graphics": ["After Effects", "motion design"],
    "natural language processing": ["spaCy", "NLTK"],
    "node.js": ["Express.js", "NodeJS"],
    "operations": ["ops", "business operations"],
    "pitch decks": ["investor decks", "pitch deck design"],
    "policy research": ["policy analysis", "public policy"],
    "postgresql": ["Postgres", "psql"],
    "power bi": ["DAX", "Power BI Desktop"],
    "powerpoint": ["PPT", "slide decks"],
    "press releases": ["media releases", "press kits"],
    "process improvement": ["Lean Six Sigma", "process mapping"],
    "project management": ["Asana", "Trello"],
    "public relations": ["PR", "media relations"],
    "python": ["Jupyter", "pandas"],
    "quickbooks": ["QBO", "QuickBooks Online"],
    "react": ["React.js", "Next.js"],
    "report writing": ["technical reports", "research reports"],
    "rest apis": ["REST", "Postman"],
    "search engine optimization": ["GSC", "on-page SEO"],
    "social media marketing": ["SMM", "social media management"],
    "sql": ["MySQL", "BigQuery"],
    "statistics": ["SPSS", "regression analysis"],
    "survey design": ["Qualtrics", "Google Forms surveys"],
    "tableau": ["Tableau Public", "Tableau Prep"],
    "technical writing": ["documentation", "docs-as-code"],
    "time series analysis": ["forecasting", "ARIMA"],
    "usability testing": ["user testing", "Maze"],
    "user interface design": ["UI", "UI design"],
    "user research": ["user testing", "UXR"],
    "valuation": ["comparable company analysis", "comps"],
    "vba": ["Excel macros", "VBA scripting"],
    "video editing": ["Premiere Pro", "DaVinci Resolve"],
    "web design": ["Webflow", "responsive design"],
    "web scraping": ["BeautifulSoup", "Scrapy"],
    "wordpress": ["WP", "Elementor"],
}

# What someone lists when the evidence is only in the bio.
SOFT_SKILLS = ["communication", "teamwork", "time management", "problem solving", "leadership"]


def _aliases() -> dict[str, list[str]]:
    doc = json.loads(SKILLS_JSON.read_text("utf-8"))
    return {e["name"]: list(e["aliases"]) for e in doc["skills"]}


def _hours(estimated: int, days: int, share: float) -> int:
    """Hours per week giving ``share`` of the estimated hours by the deadline."""
    return max(1, math.floor(estimated * share * 7 / days))


def _patterns(
    rng: random.Random,
    req: list[str],
    nice: list[str],
    bios: list[str],
    unrelated_bio: str,
    enough: int,
    hours: int,
    days: int,
) -> list[tuple[int, str, dict[str, Any]]]:
    """The four issue-17 patterns for one brief: (grade, pattern, spec)."""
    extra = [s for s in STUFFING if s not in req]
    return [
        (
            0,
            "keyword_stuffer",
            {
                "skills": [*req, *nice, *rng.sample(extra, 12)],
                "bio": unrelated_bio,
                "hours": enough,
                "track": None,
            },
        ),
        (
            1,
            "keyword_stuffer",
            {
                "skills": [*rng.sample(extra, 6), *req, *rng.sample(extra, 6)],
                "bio": rng.choice(GENERIC_BIOS),
                "hours": enough + 5,
                "track": None,
            },
        ),
        (
            1,
            "low_availability",
            {
                "skills": [*req, *nice],
                "bio": bios[rng.randint(0, 2)],
                "hours": _hours(hours, days, 0.4),
                "track": (rng.randint(4, 9), 4.8),
            },
        ),
        (
            3,
            "synonyms_tools",
            {
                "skills": [rng.choice(TOOLS[s]) for s in req] + nice[:1],
                "bio": bios[rng.randint(0, 1)],
                "hours": enough,
                "track": None,
            },
        ),
        (
            2,
            "evidence_in_bio",
            {
                "skills": rng.sample(SOFT_SKILLS, 2),
                "bio": bios[rng.randint(0, 2)],
                "hours": enough,
                "track": None,
            },
        ),
    ]


def _candidate(
    rng: random.Random, bid: str, grade: int, spec: dict[str, Any], pattern: str | None = None
) -> dict[str, Any]:
    completed = rating_count = rating_sum = 0
    if spec["track"]:
        completed, mean = spec["track"]
        rating_count = max(1, completed - rng.randint(0, 1))
        rating_sum = min(5 * rating_count, max(rating_count, round(mean * rating_count)))
    out = {
        "intern_id": f"{bid[:4]}-{rng.getrandbits(32):08x}",
        "grade": grade,
        "skills": list(dict.fromkeys(spec["skills"])),
        "bio": spec["bio"],
        "hours_per_week": spec["hours"],
        "timezone": rng.choice(["Europe/London", "America/New_York", "Asia/Kolkata"]),
        "completed": completed,
        "rating_sum": rating_sum,
        "rating_count": rating_count,
    }
    if pattern:
        out["pattern"] = pattern
    return out


def build() -> dict[str, Any]:
    rng = random.Random(SEED)
    more = random.Random(SEED + 17)  # the issue-17 patterns: their own stream
    aliases = _aliases()
    by_family: dict[str, list[int]] = {}
    for n, b in enumerate(BRIEFS):
        by_family.setdefault(b[1], []).append(n)
    out: list[dict[str, Any]] = []

    def alias_of(skill: str) -> str:
        short = [a for a in aliases.get(skill, []) if len(a) <= 12]
        return rng.choice(short) if short and rng.random() < 0.8 else skill.title()

    for n, (bid, family, title, desc, dels, req, nice, hours, days, bios) in enumerate(BRIEFS):
        others = [i for i in range(len(BRIEFS)) if BRIEFS[i][1] != family]
        related = [i for i in by_family[family] if i != n] or others
        enough = min(40, max(5, math.ceil(hours * 7 / days * rng.uniform(1.2, 2.0))))

        def foreign_bio(pool: list[int]) -> str:
            return rng.choice(BRIEFS[rng.choice(pool)][9])

        def foreign_skills(pool: list[int], k: int, req: list[str] = req) -> list[str]:
            other = BRIEFS[rng.choice(pool)]
            return [s for s in other[5] + other[6] if s not in req][:k]

        shared = rng.choice(req)
        pool: list[tuple[int, dict[str, Any]]] = [
            (
                3,
                {
                    "skills": [*req, *nice[:1], *foreign_skills(related, 1)],
                    "bio": bios[0],
                    "hours": enough,
                    "track": (rng.randint(4, 12), 4.7),
                },
            ),
            (
                3,
                {
                    "skills": [alias_of(s) for s in req],
                    "bio": bios[1],
                    "hours": enough + rng.choice((0, 5)),
                    "track": None,
                },
            ),
            (
                2,
                {
                    "skills": [req[0], *nice],
                    "bio": bios[2],
                    "hours": enough,
                    "track": rng.choice((None, (2, 4.5))),
                },
            ),
            (
                2,
                {
                    "skills": [*req, *foreign_skills(others, 1)],
                    "bio": rng.choice(GENERIC_BIOS),
                    "hours": enough,
                    "track": None,
                },
            ),
            (
                2,
                {
                    "skills": [*req, *nice],
                    "bio": bios[rng.randint(0, 2)],
                    "hours": _hours(hours, days, 0.7),
                    "track": rng.choice((None, (3, 4.3))),
                },
            ),
            (
                1,
                {
                    "skills": [*req, *nice],
                    "bio": bios[rng.randint(0, 2)],
                    "hours": _hours(hours, days, 0.25),
                    "track": (rng.randint(5, 15), 4.8),
                },
            ),
            (
                1,
                {
                    "skills": [*req, *nice, *rng.sample(STUFFING, 12)],
                    "bio": foreign_bio(others),
                    "hours": _hours(hours, days, 0.3),
                    "track": None,
                },
            ),
            (
                1,
                {
                    "skills": [shared, *foreign_skills(others, 3)],
                    "bio": foreign_bio(others),
                    "hours": enough,
                    "track": (rng.randint(10, 20), 4.9),
                },
            ),
            (
                1,
                {
                    "skills": [shared, *foreign_skills(related, 2)],
                    "bio": foreign_bio(related),
                    "hours": enough,
                    "track": rng.choice((None, (1, 5.0))),
                },
            ),
            (
                0,
                {
                    "skills": [shared, *foreign_skills(others, 2)],
                    "bio": foreign_bio(others),
                    "hours": max(1, _hours(hours, days, 0.5)),
                    "track": None,
                },
            ),
        ]
        if n % 3 == 0:
            pool.append(
                (
                    1,
                    {
                        "skills": [*req],
                        "bio": bios[rng.randint(0, 2)],
                        "hours": enough,
                        "track": (rng.randint(6, 10), 2.3),
                    },
                )
            )
        candidates = [_candidate(rng, bid, grade, spec) for grade, spec in pool]
        rng.shuffle(candidates)
        unrelated = other_bio(more, others)
        for grade, pattern, spec in _patterns(
            more, req, nice, bios, unrelated, enough, hours, days
        ):
            new = _candidate(more, bid, grade, spec, pattern)
            candidates.insert(more.randint(0, len(candidates)), new)
        out.append(
            {
                "brief_id": bid,
                "title": title,
                "description": desc,
                "deliverables": dels,
                "skills": req,
                "nice_to_have_skills": nice,
                "estimated_hours": hours,
                "deadline_days": days,
                "candidates": candidates,
            }
        )
    return {
        "today": TODAY,
        "note": "Generated by build_matching_eval.py; grades 0-3 as a recruiter would rate fit.",
        "briefs": out,
    }


def other_bio(rng: random.Random, pool: list[int]) -> str:
    """A bio of another brief's family, drawn from ``rng``."""
    return rng.choice(BRIEFS[rng.choice(pool)][9])


def main() -> None:
    path = HERE / "matching_eval.json"
    path.write_text(json.dumps(build(), indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {path.name}: {len(BRIEFS)} briefs")


if __name__ == "__main__":
    main()
