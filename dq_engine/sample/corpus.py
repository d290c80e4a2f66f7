"""Deterministic generator for the bundled sample landing corpus and its ground truth.

The corpus is small (a few hundred documents, well under 1.5 MB) but deliberately dirty, so that every
stage of the pipeline has something to find: unparseable records for ingest's quarantine, exact and near
duplicates (within and across sources), eleven languages, several kinds of PII, offensive lines,
boilerplate pages, very short and very repetitive documents.

Layout written under ``out_dir``::

    landing/web/web-000.jsonl.gz, web-001.jsonl      JSON lines: id, url, text, crawl_date
    landing/forum/forum-000.csv                      RFC 4180 CSV: post_id, thread, author, body
    landing/tickets/tickets-000.txt, -001.txt.gz     one document per line
    landing/pages/page-000.txt ... page-011.txt      one document per file
    landing/synthetic/synthetic-000.parquet          id, text, model, prompt_id
    landing/exports/export-000.json, -001.json       whole-file JSON: an array / a single object
    ground_truth.json                                counts per source and reason, labels per document

Ground-truth conventions (the engine's tests compare against these):

* ``records``: every record the engine sees. JSON lines and text lines: each physical line, blank and
  malformed ones included. CSV: each data row (a quoted multi-line body is one row; the header is not a
  record). Pages: each file. Parquet: each row. Exports: each array element; a single-object file is one.
* ``key``: the record's own id (web ``id``, forum ``post_id``, synthetic ``id``, exports ``doc``), else
  ``"<file name>:<1-based line>"`` for tickets and ``"<file name>"`` for pages.
* ``exact_dup_group``: documents whose text is equal after lowercasing, collapsing whitespace runs to a
  single space and stripping. Computed from the written text, so it is exact by construction. The corpus
  holds no whitespace other than space, tab, CR and LF, so Python's and Java's ``\\s`` agree on it.
* ``near_dup_group``: documents derived from one base text by changing one to three words or appending
  one sentence. Near-duplicate members are never also exact duplicates of anything.
* ``short``: fewer than 20 characters after the exact-dup normalisation (computed, not declared).
* ``lang``, ``pii``, ``toxic``, ``boilerplate``, ``repetitive``: declared by the generator that wrote
  the text (the values are what was put in, not what a detector would say).

Every byte is a function of the seed: ``random.Random(seed)`` is the only randomness, gzip members carry
mtime 0 and no file name, JSON is written with fixed key order, and the Parquet writer settings are fixed.
Parquet files also record the writing library's version (``created_by``), so they are byte-identical only
for the same pyarrow release.

Run ``python -m dq_engine.sample.corpus [OUT_DIR]`` (default ``data/sample``) to regenerate.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import math
import random
import re
import shutil
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["DEFAULT_OUT_DIR", "DEFAULT_SEED", "MAX_TEXT_CHARS", "SOURCES", "main", "write_sample_corpus"]

DEFAULT_SEED = 7
DEFAULT_OUT_DIR = Path("data/sample")
# The sample pipeline config sets max_text_chars to this; the one oversize record must exceed it.
MAX_TEXT_CHARS = 50_000
# Fixed order: it is the order of ground_truth["documents"] and of exact/near group numbering.
SOURCES = ("web", "forum", "tickets", "pages", "synthetic", "exports")
SHORT_CHARS = 20

# ---------------------------------------------------------------------------------------------------
# Word lists and templates (all written for this module).
# ---------------------------------------------------------------------------------------------------

# topic -> (subjects, verbs, objects, tails). Sentences are subject + verb + object [+ tail]; with seven
# choices per slot, two documents rarely share a five-word run, which keeps unrelated documents far
# apart under shingle-based similarity.
# fmt: off
_TOPICS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "gardening": (
        ("a raised bed", "the compost heap", "a shady border", "the herb patch", "a young apple tree",
         "the vegetable plot", "a window box"),
        ("needs", "benefits from", "responds well to", "rarely copes with", "does best with",
         "quickly suffers without", "tolerates"),
        ("a thick layer of mulch", "a deep weekly watering", "at least six hours of sun",
         "loose, well-drained soil", "regular turning", "a light feed of seaweed", "careful pruning"),
        ("during a dry summer", "before the first frost", "once the seedlings are established",
         "in heavy clay areas", "when slugs are active", "after a wet spring", "in the first two seasons"),
    ),
    "cooking": (
        ("a good stock", "a cast iron pan", "homemade bread dough", "a slow tomato sauce",
         "a simple lentil soup", "the rice cooker", "a fresh pesto"),
        ("depends on", "improves with", "needs", "gets better with", "is ruined by", "benefits from",
         "calls for"),
        ("a pinch of salt added early", "patience and low heat", "a long rest in the fridge",
         "a splash of vinegar at the end", "plenty of fresh herbs", "a properly preheated oven",
         "good olive oil"),
        ("on a weeknight", "when guests arrive hungry", "in a small kitchen", "if you cook for one",
         "during the colder months", "with very little effort", "according to most cookbooks"),
    ),
    "cycling": (
        ("a commuter bike", "the rear derailleur", "a new chain", "a tubeless tyre", "the brake pad",
         "a steel touring frame", "the bottom bracket"),
        ("needs", "lasts longer with", "wears out without", "benefits from", "rarely survives", "handles",
         "should get"),
        ("a drop of lube every few weeks", "correct tyre pressure", "a quick clean after rain",
         "an annual service", "salty winter roads", "small cable tension adjustments", "heavy panniers"),
        ("on long gravel rides", "in city traffic", "after a wet commute", "on a loaded tour",
         "if you ride every day", "through the winter", "on steep descents"),
    ),
    "astronomy": (
        ("a small refractor", "a pair of binoculars", "the winter sky", "a dark rural site", "a star chart",
         "the rising moon", "a beginner telescope"),
        ("reveals", "makes it easy to find", "hides", "is perfect for spotting", "helps you track",
         "washes out", "shows"),
        ("the rings of Saturn", "faint galaxies", "the moons of Jupiter", "bright star clusters",
         "meteor trails", "the craters along the terminator", "colourful double stars"),
        ("on a clear night", "away from city lights", "after your eyes adapt", "during a new moon",
         "in late August", "just before dawn", "with a little patience"),
    ),
    "home_repair": (
        ("a dripping tap", "the bathroom sealant", "a squeaky door hinge", "an old radiator",
         "a cracked tile", "the gutter", "a loose floorboard"),
        ("usually needs", "can be fixed with", "gets worse without", "calls for", "often hides",
         "should be checked for", "benefits from"),
        ("a new washer", "a fresh bead of silicone", "a few drops of oil", "a proper bleed",
         "careful grout work", "a yearly clean", "two longer screws"),
        ("on a quiet Sunday", "before winter arrives", "in older houses", "if you have basic tools",
         "within an hour", "after heavy rain", "without calling a plumber"),
    ),
    "software": (
        ("a flaky integration test", "the build pipeline", "a small refactor", "the logging setup",
         "a memory leak", "the database migration", "a careful code review"),
        ("often reveals", "slows down", "depends on", "benefits from", "exposes", "is easier with", "needs"),
        ("hidden shared state", "clear ownership", "reproducible environments", "good error messages",
         "a rollback plan", "smaller pull requests", "structured log fields"),
        ("on a busy release day", "in a large monorepo", "under production load", "when the team grows",
         "after a long weekend", "in legacy services", "before anyone notices"),
    ),
    "travel": (
        ("an overnight train", "a regional bus", "the ferry crossing", "a rail pass", "a small guesthouse",
         "the airport shuttle", "a guided walking tour"),
        ("offers", "saves", "comes with", "makes up for", "guarantees", "needs", "rewards"),
        ("a surprising amount of legroom", "the cost of a hotel night", "views you never get from a plane",
         "early booking", "flexible plans", "a relaxed pace", "local tips from the staff"),
        ("in the off season", "on a tight budget", "for families", "across the Alps",
         "during the summer rush", "if you pack light", "when the weather turns"),
    ),
    "photography": (
        ("a prime lens", "the golden hour", "a sturdy tripod", "manual focus", "a polarising filter",
         "an old film camera", "a simple reflector"),
        ("gives you", "makes", "helps with", "adds", "cuts", "teaches", "rewards"),
        ("softer shadows", "sharper landscapes", "patience and careful framing", "glare on water",
         "a sense of depth", "warmer skin tones", "long exposures"),
        ("on overcast days", "in street photography", "for portraits", "near the coast", "at dusk",
         "with very little gear", "after some practice"),
    ),
    "coffee": (
        ("a burr grinder", "freshly roasted beans", "a French press", "the water temperature",
         "a pour-over cone", "a light roast", "the milk frother"),
        ("makes a real difference to", "brings out", "controls", "improves", "hides", "spoils", "shapes"),
        ("the sweetness of the cup", "fruity notes", "the body of the brew", "harsh bitterness",
         "the crema", "a balanced extraction", "the morning routine"),
        ("at home", "in a busy office", "with filtered water", "for beginners", "in under five minutes",
         "on a cold morning", "without expensive gear"),
    ),
    "running": (
        ("a steady long run", "interval training", "a good pair of shoes", "the warm-up", "a rest day",
         "a set of hill repeats", "an easy recovery jog"),
        ("builds", "prevents", "improves", "protects", "supports", "develops", "reduces"),
        ("aerobic endurance", "common knee injuries", "leg strength", "race day confidence",
         "overall consistency", "running economy", "muscle soreness"),
        ("for new runners", "in the weeks before a marathon", "on trail routes", "over a full season",
         "in hot weather", "at any age", "when done regularly"),
    ),
    "birdwatching": (
        ("an early morning walk", "a pair of compact binoculars", "the local wetland", "a bird feeder",
         "a pocket field guide", "the spring migration", "a quiet hide"),
        ("brings", "attracts", "helps you identify", "reveals", "draws in", "offers", "rewards"),
        ("flocks of finches", "rare waders", "warblers by their song", "a steady stream of sparrows",
         "herons and egrets", "unexpected visitors", "patient observers"),
        ("in late April", "after a storm", "along the estuary", "in suburban gardens", "at first light",
         "during hard frosts", "near reed beds"),
    ),
    "budgeting": (
        ("a monthly budget", "an emergency fund", "a shopping list", "the household spreadsheet",
         "a savings jar", "an automatic transfer", "a weekly meal plan"),
        ("reduces", "protects against", "makes it easier to spot", "prevents", "helps control",
         "discourages", "cuts"),
        ("impulse purchases", "unexpected repair bills", "forgotten subscriptions", "late payment fees",
         "food waste", "small daily leaks", "end-of-month stress"),
        ("for young families", "in times of high inflation", "after a pay rise", "for students",
         "with very little effort", "over the course of a year", "if you review it weekly"),
    ),
}

_TASKS: dict[str, tuple[str, ...]] = {
    "gardening": ("keeping a raised bed productive", "starting a compost heap"),
    "cooking": ("making a better weeknight soup", "caring for a cast iron pan"),
    "cycling": ("maintaining a commuter bike", "riding through the winter"),
    "astronomy": ("observing with a small telescope", "planning a night of stargazing"),
    "home_repair": ("fixing small leaks at home", "preparing a house for winter"),
    "software": ("taming flaky tests", "running a calm release"),
    "travel": ("travelling by train on a budget", "planning an off-season trip"),
    "photography": ("shooting better landscapes", "getting started with portraits"),
    "coffee": ("brewing better coffee at home", "choosing a grinder"),
    "running": ("training for a first half marathon", "avoiding running injuries"),
    "birdwatching": ("birdwatching near home", "identifying birds by song"),
    "budgeting": ("building an emergency fund", "sticking to a monthly budget"),
}

_OPENERS = ("", "", "", "In most cases, ", "Surprisingly, ", "As a rule, ", "In our experience, ",
            "For beginners, ", "Over time, ", "Most of the time, ", "Honestly, ", "It turns out that ",
            "Many readers find that ")

# Word swaps for near duplicates: each keeps the sentence grammatical, so a variant reads like an edit.
_SWAPS = {
    "the": "this", "a": "one", "needs": "requires", "often": "frequently", "usually": "typically",
    "rarely": "seldom", "quickly": "rapidly", "small": "little", "good": "decent", "new": "fresh",
    "old": "aging", "simple": "basic", "careful": "thorough", "regular": "routine", "during": "throughout",
    "after": "following", "most": "many", "long": "lengthy", "quiet": "calm", "heavy": "hefty",
    "offers": "provides", "reveals": "uncovers", "improves": "boosts", "prevents": "stops",
    "reduces": "lowers", "bright": "brilliant", "clear": "cloudless", "helps": "assists",
}

_FORUM_OPEN = ("Quick question, has anyone tried this?", "Long-time lurker, first post.",
               "Update from my side, after two weeks of testing:",
               "Not sure this is the right thread, but here goes.", "Following up on the discussion above:",
               "Posting this for anyone searching later.")
_FORUM_CLOSE = ("Any advice welcome.", "Thanks in advance!", "Cheers, and happy weekend.",
                "Happy to share photos if that helps.", "Curious what you all think.",
                "Let me know if I missed something obvious.")
_FORUM_REPLY = ("Agreed, and I would add one thing.", "Not quite, in my experience.", "Exactly this.",
                "Hmm, I see it differently.", "Seconded.")
_NICKNAMES = ("the lazy method", "plan B", "the Sunday fix", "the old-school way",
              "the quick and dirty trick")
_RELATIVES = ("neighbour", "uncle", "flatmate", "coach", "sister")
_THREADS = ("raised-beds-in-clay", "winter-commuting", "first-telescope", "weeknight-dinners", "leaky-taps",
            "flaky-ci", "night-trains", "portrait-lighting", "grinder-advice", "half-marathon-plans",
            "garden-birds", "budget-tips", "off-topic")
_AUTHORS = ("moss_and_fern", "pedal_pusher", "night_sky_ned", "crema_queen", "drip_fixer", "trail_tortoise",
            "heron_watch", "budget_bee", "lens_cap_lost", "kettle_logic", "late_commit", "quiet_user")

_FEATURES = ("the mobile app", "the checkout page", "the password reset email", "the invoice download",
             "the order tracking page", "the desktop sync client", "the two-factor login", "the search bar",
             "the newsletter settings page", "the loyalty points balance", "the gift card form",
             "the delivery slot picker", "the export button", "the account dashboard")
_SYMPTOMS = ("crashes right after start", "shows a blank white screen", "keeps spinning forever",
             "returns an internal server error", "logs me out every few minutes", "never arrives in my inbox",
             "shows the wrong total", "ignores my changes", "is stuck on the loading screen",
             "displays prices in the wrong currency", "rejects my valid postcode",
             "duplicates every item I add")
_SINCE = ("since the last update", "since Monday", "after I changed my password",
          "on both my phone and laptop", "only in the evening", "for about a week now",
          "whenever I use the office network", "after yesterday's maintenance window")
_TRIES = ("I already cleared the cache and reinstalled the app.", "Restarting the device did not help.",
          "I tried two different browsers with the same result.", "Your FAQ does not mention this problem.",
          "A colleague sees exactly the same thing.", "I attached a screenshot to my previous message.",
          "The chat bot just sent me in circles.", "Logging out and back in changed nothing.")
_ASKS = ("Could you please look into it?", "Please escalate this to a human.",
         "I need this fixed before the weekend.", "Can you at least confirm you received this?",
         "Please let me know what else you need from me.", "A refund would be the fair solution here.")

_ANSWER_CLOSE = ("Let me know if you would like more detail.", "Happy to go deeper on any of these.",
                 "Would you like a printable checklist?", "I can tailor this if you share more context.")
_NUMBER_WORDS = {3: "three", 4: "four", 5: "five"}
_MODELS = ("aurora-7b-instruct", "tern-13b-chat", "kestrel-70b-instruct")

# Persons, places and numbers for PII. Names are common given and family names combined at random;
# e-mail domains are the reserved example.* domains; US phone numbers use the fictional 555-01xx range;
# IP addresses come from the documentation ranges (RFC 5737) and private space.
_FIRST_NAMES = ("Anna", "James", "Maria", "Daniel", "Sofia", "Liam", "Hannah", "Omar", "Chloe", "Mateo",
                "Grace", "Viktor", "Priya", "Lucas", "Elena", "Noah", "Julia", "Samuel", "Aisha", "Tomas")
_LAST_NAMES = ("Keller", "Porter", "Alvarez", "Novak", "Fischer", "Brennan", "Okafor", "Lindqvist", "Moreau",
               "Castillo", "Whitfield", "Haddad", "Jansen", "Rossi", "Costa", "Petrov", "Nakamura", "Osei",
               "Kowalski", "Duarte")
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com", "inbox.example.org")
_STREETS = ("Maple", "Oak", "Cedar", "Willow", "Lakeview", "Hillcrest", "Birch", "Sunset", "Riverside", "Elm")
_STREET_SUFFIXES = ("Street", "Avenue", "Road", "Lane", "Drive", "Court")
_US_CITIES = (("Springfield", "IL"), ("Riverton", "WY"), ("Fairview", "OR"), ("Madison", "WI"),
              ("Georgetown", "TX"), ("Salem", "MA"), ("Franklin", "TN"), ("Clinton", "IA"))
_IT_STREETS = ("Via Garibaldi", "Via Roma", "Corso Venezia", "Via dei Mille", "Viale Monza")
_IT_CITIES = (("20121", "Milano"), ("40126", "Bologna"), ("10121", "Torino"), ("50122", "Firenze"))
_US_AREA_CODES = ("212", "312", "415", "617", "206", "303", "512")
_IBAN_COUNTRIES = ("DE", "GB", "FR", "ES", "NL", "IT", "PT")
_PHONE_COUNTRIES = ("gb", "de", "fr", "es", "it", "nl", "pt")

# Slot name prefix -> PII kind recorded in the ground truth.
_SLOT_KINDS = {"person": "person", "email": "email", "phone": "phone", "card": "credit_card", "iban": "iban",
               "ipv4": "ipv4", "ssn": "ssn", "address": "address"}

_TICKET_PII_TEMPLATES = (
    "Hi, this is {person}. {issue} You can reach me at {email} or {phone_us}.",
    "Customer {person} ({email}) writes: {issue} {ask}",
    "{issue} Please call me back on {phone_intl}, I am travelling until Friday.",
    "Please update my shipping address to {address}. {issue}",
    "I was charged twice on my card {card} for order {order}. {ask}",
    "Someone logged into my account from {ipv4} last night and it was not me. {ask}",
    "The tax form still shows the wrong SSN. The correct one is {ssn}. {ask}",
    "Please send the refund for order {order} to IBAN {iban}, account holder {person}.",
    "Server {ipv4} has returned errors since the deploy; the on-call engineer is {person} ({phone_us}).",
    "My new email is {email}, please move my subscription there. {issue}",
    "For the background check I was asked for my SSN ({ssn}) and home address ({address}). "
    "Is this form safe?",
    "Delivery failed again. I live at {address}, ring the bell twice. Phone: {phone_us}.",
    "Hello, {person} here from accounts. Wire the balance to {iban} and send the receipt to {email}.",
    "{issue} My contact details: {person}, {phone_intl}, {email}.",
    "Please cancel card {card}, it was stolen yesterday. Statements go to {address}.",
    "Our office router at {ipv4} blocks your site. Contact our admin {person} at {email}.",
)

# One PII ticket per non-English language, written natively rather than translated word for word.
_TICKET_PII_FOREIGN = {
    "de": "Guten Tag, bitte überweisen Sie die Erstattung für Bestellung {order} auf mein Konto {iban_de} "
          "(Kontoinhaber: {person}). Bei Rückfragen erreichen Sie mich unter {phone_de}.",
    "fr": "Bonjour, je n'ai toujours pas reçu ma commande {order}. Vous pouvez me joindre au {phone_fr} "
          "ou par e-mail à {email}. Merci d'avance, {person}.",
    "es": "Hola, me han cobrado dos veces con la tarjeta {card}. Por favor, devuelvan el importe lo antes "
          "posible. Mi teléfono es {phone_es}.",
    "it": "Buongiorno, vi chiedo di aggiornare l'indirizzo di spedizione: {person}, {address_it}. "
          "Grazie mille.",
    "nl": "Goedemiddag, kunt u het bedrag van bestelling {order} terugstorten op {iban_nl}? "
          "Met vriendelijke groet, {person}.",
    "pt": "Olá, o meu endereço de e-mail mudou para {email}. Podem atualizar a minha conta, por favor? "
          "Obrigado, {person}.",
}

_FORUM_PII_TEMPLATES = (
    "If anyone wants the spare seedlings, email me at {email} and I will post them.",
    "Selling my old road bike, call {phone_us} after 6pm. Pickup from {address}.",
    "Shout-out to {person} who fixed my gutter for free last weekend, genuinely kind.",
    "For the meetup, text me on {phone_intl} or write to {email}.",
    "Careful: the seller {person} asked me to pay by bank transfer to {iban}. Smells like a scam, right?",
    "My router shows a login from {ipv4} that I do not recognise. Should I worry?",
)

_TOXIC = {
    "forum": (
        "You are an idiot if you think that setup will ever hold up in winter.",
        "This update is fucking garbage. Who on earth approved it?",
        "shut up, idiot",
        "What a stupid piece of shit design. Nobody tested this crap before shipping it.",
        "Honestly, the moderators here are useless morons who delete every honest review.",
        "Stop posting this crap, nobody cares about your stupid blog, loser.",
        "Go to hell with your so-called advice, it ruined my paint job, you clown.",
    ),
    "tickets": (
        "Your support team is a bunch of incompetent idiots. Fix my account now.",
        "This is the third time I am writing, you useless assholes. Order {order} is still missing.",
        "What the fuck is wrong with your billing system?? I was charged twice for the same thing.",
        "Damn it, the app crashed again and deleted all my notes. Absolute bullshit.",
        "You people are pathetic. Cancel my subscription immediately, you idiots.",
    ),
    "web": (
        "Whoever wrote this article is a complete moron. Every single tip is wrong and dumb as hell.",
        "This recipe is shit. A total waste of good ingredients, you should be ashamed, idiot.",
    ),
    "synthetic": (
        "Honestly, your question is stupid and you are an idiot for asking it. Figure it out yourself.",
    ),
}

# Sentence pools for the non-English documents. Each sentence is used at most once (pools are drawn
# without replacement), so two documents in one language never share a sentence by accident.
_LANG_SENTENCES: dict[str, tuple[str, ...]] = {
    "de": (
        "Am Samstag fährt der erste Zug nach Hamburg schon um halb sechs ab.",
        "Die Bibliothek in unserem Viertel hat endlich längere Öffnungszeiten bekommen.",
        "Wer im Herbst Tulpenzwiebeln pflanzt, freut sich im April über leuchtende Farben.",
        "Mein Nachbar repariert alte Fahrräder und verschenkt sie an Studierende.",
        "Das neue Café am Marktplatz backt jeden Morgen frisches Roggenbrot.",
        "Bei starkem Regen sollte man die Kellerfenster unbedingt geschlossen halten.",
        "Die Stadtverwaltung plant einen breiteren Radweg entlang des Flusses.",
        "Im Winter trinken viele Menschen abends gern einen heißen Kräutertee.",
        "Unsere Wandergruppe hat letzte Woche den Gipfel trotz dichtem Nebel erreicht.",
        "Für das Sommerfest werden noch freiwillige Helferinnen und Helfer gesucht.",
        "Der Bäcker an der Ecke verkauft samstags auch hausgemachte Marmelade.",
        "Kinder lernen Fremdsprachen oft leichter, wenn sie dabei singen dürfen.",
        "Die Messe für erneuerbare Energien zog in diesem Jahr mehr Besucher an als erwartet.",
        "Ein gut geplanter Einkaufszettel spart am Ende Zeit und Geld.",
        "Nach dem Umzug mussten wir zuerst die Küchenschränke neu aufbauen.",
        "Das Museum zeigt ab Montag eine Ausstellung über die Geschichte der Druckkunst.",
        "Viele Pendler steigen inzwischen auf Elektroroller um, wenn das Wetter mitspielt.",
        "Im Garten meiner Großmutter wachsen seit Jahrzehnten dieselben Johannisbeersträucher.",
    ),
    "fr": (
        "Le marché du dimanche attire chaque semaine des familles de tout le quartier.",
        "La bibliothèque municipale prête désormais des outils de jardinage.",
        "Il faut arroser les jeunes plants tôt le matin, avant la chaleur.",
        "Mon voisin restaure de vieux vélos et les offre aux étudiants.",
        "Le train pour Lyon a eu quarante minutes de retard à cause de la neige.",
        "Une bonne soupe de légumes se prépare avec patience et un peu de thym.",
        "La mairie envisage de créer une piste cyclable le long du canal.",
        "Les enfants ont construit une cabane en bois au fond du jardin.",
        "Ce petit musée présente une collection étonnante d'horloges anciennes.",
        "Nous cherchons encore des bénévoles pour la fête du village.",
        "Le boulanger du coin propose une tarte aux pommes le vendredi.",
        "Apprendre une langue demande surtout de la régularité.",
        "Pendant l'hiver, beaucoup de gens prennent un thé chaud le soir.",
        "Le concert en plein air a été reporté à cause de l'orage.",
        "Après le déménagement, il a fallu remonter tous les meubles de la cuisine.",
        "La randonnée jusqu'au lac dure environ trois heures aller-retour.",
        "Les pêcheurs rentrent au port dès que le vent se lève.",
        "Ma grand-mère garde ses recettes dans un vieux cahier à carreaux.",
    ),
    "es": (
        "El mercado del barrio abre los sábados desde muy temprano.",
        "Mi hermana aprendió a tocar la guitarra durante el verano.",
        "La biblioteca pública organiza talleres de lectura para niños.",
        "Es mejor regar las plantas al atardecer, cuando baja el calor.",
        "El autobús nocturno tarda casi una hora en llegar al centro.",
        "Preparamos una paella enorme para celebrar el cumpleaños del abuelo.",
        "El ayuntamiento quiere plantar más árboles en la avenida principal.",
        "Los vecinos se reúnen cada mes para limpiar el parque.",
        "Aprender a cocinar con legumbres es barato y muy saludable.",
        "La exposición de fotografía antigua estará abierta hasta diciembre.",
        "En invierno el pueblo se queda tranquilo y casi sin turistas.",
        "Nuestro equipo de fútbol ganó el torneo local por primera vez.",
    ),
    "it": (
        "Il mercato del paese si riempie di colori ogni giovedì mattina.",
        "Mia nonna prepara ancora la pasta fresca a mano la domenica.",
        "La biblioteca comunale ha aperto una nuova sala per lo studio.",
        "In estate conviene annaffiare l'orto la sera, quando fa più fresco.",
        "Il treno regionale per Bologna è partito con venti minuti di ritardo.",
        "Il comune vuole creare una pista ciclabile lungo il fiume.",
        "I ragazzi del quartiere hanno dipinto un murale sulla vecchia scuola.",
        "Un buon caffè al bar è per molti il vero inizio della giornata.",
        "Il museo civico espone una collezione di mappe antiche.",
        "Cerchiamo volontari per la festa di fine estate in piazza.",
        "Dopo il trasloco abbiamo dovuto rimontare tutti i mobili della cucina.",
        "La passeggiata fino al faro dura circa un'ora.",
    ),
    "pt": (
        "A feira do bairro acontece todas as quartas-feiras de manhã.",
        "O meu avô cultiva tomates e alfaces no quintal de casa.",
        "A biblioteca municipal oferece cursos gratuitos de informática.",
        "O comboio para o Porto atrasou por causa das obras na linha.",
        "Nada melhor do que um pão quente com manteiga ao pequeno-almoço.",
        "A câmara municipal vai renovar os passeios da avenida principal.",
        "As crianças adoram ouvir histórias antes de dormir.",
        "No inverno, a aldeia fica silenciosa e quase sem visitantes.",
        "Estamos à procura de voluntários para a festa de verão.",
        "O museu da cidade tem uma exposição sobre a história da pesca.",
        "Aprender a nadar cedo dá confiança às crianças.",
        "Depois da mudança, tivemos de montar de novo os armários da cozinha.",
    ),
    "nl": (
        "De markt op het plein begint elke zaterdag om acht uur.",
        "Mijn buurman repareert oude fietsen en geeft ze weg aan studenten.",
        "De bibliotheek heeft sinds kort ook een hoek met bordspellen.",
        "In de zomer is het beter om de tuin 's avonds water te geven.",
        "De trein naar Utrecht had twintig minuten vertraging door een storing.",
        "De gemeente wil meer bomen planten langs de hoofdstraat.",
        "Op zondag fietsen veel gezinnen samen langs de dijk.",
        "Een goede erwtensoep moet eigenlijk een dag blijven staan.",
        "Het museum opent volgende maand een tentoonstelling over windmolens.",
        "We zoeken nog vrijwilligers voor het buurtfeest.",
        "Na de verhuizing moesten we alle keukenkastjes opnieuw ophangen.",
        "Kinderen leren zwemmen hier meestal al op jonge leeftijd.",
    ),
    "ru": (
        "Рынок на площади открывается каждую субботу в восемь утра.",
        "Моя бабушка до сих пор печёт пироги с капустой по воскресеньям.",
        "Городская библиотека продлила часы работы до девяти вечера.",
        "Летом огород лучше поливать вечером, когда спадает жара.",
        "Поезд до Казани задержался на сорок минут из-за снегопада.",
        "Администрация города обещает отремонтировать набережную к осени.",
        "Дети построили во дворе настоящую снежную крепость.",
        "В музее открылась выставка старинных карт и глобусов.",
        "Мы ищем добровольцев для уборки парка в следующие выходные.",
        "Горячий чай с лимоном помогает согреться после долгой прогулки.",
        "После переезда нам пришлось заново собирать кухонную мебель.",
        "Дорога до озера занимает около трёх часов пешком.",
    ),
    "zh": (
        "周六早上，广场上的集市八点就开门了。",
        "我的奶奶每个周末都会包饺子给全家人吃。",
        "市图书馆最近延长了开放时间，晚上九点才关门。",
        "夏天最好在傍晚给菜园浇水，这时候天气比较凉快。",
        "去杭州的火车因为大雾晚点了四十分钟。",
        "政府计划在河边修一条新的自行车道。",
        "孩子们在院子里用雪堆了一座小城堡。",
        "博物馆正在展出一批古老的地图和地球仪。",
        "下周末我们需要志愿者一起去公园捡垃圾。",
        "散步回来以后，喝一杯热茶会让人觉得很舒服。",
        "搬家以后，我们花了整整两天才把厨房的柜子装好。",
        "从村子走到湖边大约需要三个小时。",
    ),
    "ja": (
        "土曜日の朝、駅前の広場で小さな朝市が開かれます。",
        "祖母は毎週日曜日に家族のためにおにぎりを作ってくれます。",
        "市立図書館は今月から夜九時まで開館するようになりました。",
        "夏は夕方に畑へ水をやるほうが、植物にやさしいです。",
        "大雪のため、札幌行きの電車が四十分ほど遅れました。",
        "市は川沿いに新しい自転車道を整備する予定です。",
        "子どもたちは公園で大きな雪だるまを作りました。",
        "博物館では古い地図と地球儀の展示が始まりました。",
        "来週末の公園の清掃活動に参加してくれる人を探しています。",
        "長い散歩のあとに飲む温かいお茶は格別です。",
        "引っ越しのあと、台所の棚を組み立て直すのに二日かかりました。",
        "村から湖までは歩いて三時間ほどかかります。",
    ),
    "ar": (
        "يفتح السوق الأسبوعي في ساحة المدينة كل يوم سبت في الصباح الباكر.",
        "تحضر جدتي الخبز في البيت كل يوم جمعة لجميع أفراد العائلة.",
        "مددت المكتبة العامة ساعات العمل حتى الساعة التاسعة مساء.",
        "من الأفضل سقي الحديقة في المساء عندما تنخفض درجة الحرارة.",
        "تأخر القطار المتجه إلى الإسكندرية أربعين دقيقة بسبب الضباب.",
        "تخطط البلدية لإنشاء مسار جديد للدراجات على ضفة النهر.",
        "بنى الأطفال خيمة صغيرة في الحديقة خلف المنزل.",
        "افتتح المتحف معرضا جديدا للخرائط القديمة.",
        "نبحث عن متطوعين لتنظيف الحديقة العامة في نهاية الأسبوع القادم.",
        "كوب من الشاي الساخن بعد نزهة طويلة يبعث على الراحة.",
        "بعد الانتقال إلى البيت الجديد احتجنا يومين لتركيب خزائن المطبخ.",
        "تستغرق الرحلة سيرا على الأقدام إلى البحيرة نحو ثلاث ساعات.",
    ),
}

# Where the pooled non-English documents go (three sentences each). Pools also feed the exact and
# near duplicates and two pages, which is why some languages have fewer planned documents here.
_LANG_PLAN: dict[str, tuple[str, ...]] = {
    "de": ("web", "forum"),
    "fr": ("web", "web", "forum", "synthetic"),
    "es": ("web", "forum", "exports", "exports"),
    "it": ("web", "synthetic", "exports", "forum"),
    "pt": ("web", "forum", "exports", "exports"),
    "nl": ("web", "exports", "exports", "forum"),
    "ru": ("web", "forum", "exports"),
    "zh": ("web", "web", "synthetic"),
    "ja": ("web", "forum", "synthetic"),
    "ar": ("web", "web", "synthetic", "exports"),
}

_LOREM = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut "
          "labore et dolore magna aliqua.")
# fmt: on


# ---------------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------------


@dataclass
class _Doc:
    """A valid document and the labels the generator declares for it.

    Attributes:
        text: The document text exactly as the engine will read it.
        lang: ISO 639-1 code of the language it was written in.
        pii: PII kinds embedded in the text.
        toxic: Contains insults or profanity.
        boilerplate: Mostly navigation, cookie banners, footers or placeholder text.
        repetitive: One short phrase or line repeated many times.
        near: Generator-local near-duplicate label; renumbered to n1, n2, ... in the ground truth.
        exact: Generator-local label of an intended exact-duplicate cluster (checked, not written).
        pin: File that must hold this record (for layouts that need a record in a given file).
        prompt: Synthetic only: records sharing this label share one prompt_id.
    """

    text: str
    lang: str = "en"
    pii: frozenset[str] = frozenset()
    toxic: bool = False
    boilerplate: bool = False
    repetitive: bool = False
    near: str | None = None
    exact: str | None = None
    pin: str | None = None
    prompt: str | None = None


@dataclass
class _Bad:
    """A record the engine must quarantine.

    Attributes:
        reason: Quarantine reason the engine should report.
        kind: Which malformation to render (source specific).
        pin: File that must hold this record.
        text: Payload text where the malformation needs one.
    """

    reason: str
    kind: str
    pin: str | None = None
    text: str = ""


_Item = _Doc | _Bad


@dataclass
class _Written:
    """What the writers produced: ground-truth rows in file order and per-source counts."""

    documents: list[tuple[str, str, _Doc]] = field(default_factory=list)
    records: dict[str, int] = field(default_factory=dict)
    quarantine: dict[str, dict[str, int]] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------------------------------


def _cap(text: str) -> str:
    """Upper-case the first character only (``str.capitalize`` would lower-case the rest)."""
    return text[:1].upper() + text[1:]


def _decap(text: str) -> str:
    """Lower-case the first character only, to embed a sentence after a lead-in."""
    return text[:1].lower() + text[1:]


def _exact_key(text: str) -> str:
    """Exact-duplicate key: lower-case, whitespace runs collapsed to one space, stripped."""
    return " ".join(text.lower().split())


class _Gen:
    """All randomness of one corpus, drawn from one ``random.Random`` in a fixed call order."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self._near = 0
        self._exact = 0
        # Copy and shuffle each pool once; documents then pop sentences without replacement.
        self._pools: dict[str, list[str]] = {}
        for lang, sentences in _LANG_SENTENCES.items():
            pool = list(sentences)
            self.r.shuffle(pool)
            self._pools[lang] = pool

    # labels -----------------------------------------------------------------------------------------

    def near_label(self) -> str:
        self._near += 1
        return f"near{self._near}"

    def exact_label(self) -> str:
        self._exact += 1
        return f"exact{self._exact}"

    # prose ------------------------------------------------------------------------------------------

    def topic(self) -> str:
        return self.r.choice(list(_TOPICS))

    def sentence(self, topic: str) -> str:
        """One English sentence on ``topic`` from one of five sentence shapes."""
        r = self.r
        subjects, verbs, objects, tails = _TOPICS[topic]
        s, v, o, t = r.choice(subjects), r.choice(verbs), r.choice(objects), r.choice(tails)
        form = r.randrange(5)
        if form == 0:
            out = f"{r.choice(_OPENERS)}{s} {v} {o} {t}."
        elif form == 1:
            out = f"{_cap(t)}, {s} {v} {o}."
        elif form == 2:
            s2, v2, o2 = r.choice(subjects), r.choice(verbs), r.choice(objects)
            out = f"{r.choice(_OPENERS)}{s} {v} {o}, and {s2} {v2} {o2}."
        elif form == 3:
            out = f"If you ask me, {s} {v} {o} {t}."
        else:
            out = f"{r.choice(_OPENERS)}{s} {v} {o}, especially {t}."
        return _cap(out)

    def paragraph(self, topic: str, n: int) -> str:
        return " ".join(self.sentence(topic) for _ in range(n))

    def article(self, topic: str, paragraphs: int, lo: int, hi: int) -> str:
        return "\n\n".join(self.paragraph(topic, self.r.randint(lo, hi)) for _ in range(paragraphs))

    def long_article(self) -> str:
        """About 180 words: long enough that a 1-3 word edit keeps word 5-gram Jaccard above 0.8."""
        return self.article(self.topic(), 3, 5, 5)

    def lang_text(self, lang: str, n: int) -> str:
        pool = self._pools[lang]
        if len(pool) < n:
            raise RuntimeError(f"sentence pool for {lang!r} exhausted; add sentences or plan fewer documents")
        taken = [pool.pop() for _ in range(n)]
        # Chinese and Japanese are written without spaces between sentences.
        return ("" if lang in ("zh", "ja") else " ").join(taken)

    # forum, tickets, answers, knowledge base ---------------------------------------------------------

    def forum_post(self) -> str:
        r = self.r
        topic = self.topic()
        body = " ".join(self.sentence(topic) for _ in range(r.randint(1, 3)))
        form = r.randrange(4)
        if form == 0:
            return f"{r.choice(_FORUM_OPEN)} {body} {r.choice(_FORUM_CLOSE)}"
        if form == 1:
            # Quoted reply: a multi-line body, so the CSV writer must quote it.
            return f"> {self.sentence(topic)}\n\n{r.choice(_FORUM_REPLY)} {body}"
        if form == 2:
            # Embedded double quotes and commas exercise RFC 4180 quote doubling.
            return (
                f'My {r.choice(_RELATIVES)} calls it "{r.choice(_NICKNAMES)}", and honestly, it works. {body}'
            )
        paragraphs = [self.sentence(topic) for _ in range(r.randint(2, 3))]
        return "\n\n".join([*paragraphs, r.choice(_FORUM_CLOSE)])

    def long_forum_post(self) -> str:
        topic = self.topic()
        return "\n\n".join(
            [
                self.r.choice(_FORUM_OPEN),
                self.paragraph(topic, 5),
                self.paragraph(topic, 5),
                self.paragraph(topic, 4),
                self.r.choice(_FORUM_CLOSE),
            ]
        )

    def issue(self) -> str:
        r = self.r
        return f"{_cap(r.choice(_FEATURES))} {r.choice(_SYMPTOMS)} {r.choice(_SINCE)}."

    def order(self) -> str:
        # Six digits: an order number must not look like a card, phone number or SSN.
        return f"#{self.r.randint(100000, 999999)}"

    def ticket_plain(self) -> str:
        r = self.r
        parts = [self.issue()]
        if r.randrange(10) < 6:
            parts.append(r.choice(_TRIES))
        if r.randrange(10) < 5:
            parts.append(f"Order {self.order()} is affected.")
        parts.append(r.choice(_ASKS))
        return " ".join(parts)

    def ticket_long(self) -> str:
        """About 60 words: a one-sentence follow-up keeps word 5-gram Jaccard above 0.8."""
        r = self.r
        tries = r.sample(_TRIES, 3)
        return " ".join(
            [
                self.issue(),
                tries[0],
                tries[1],
                self.issue(),
                f"Order {self.order()} is affected.",
                tries[2],
                r.choice(_ASKS),
            ]
        )

    def answer(self) -> str:
        r = self.r
        topic = self.topic()
        task = r.choice(_TASKS[topic])
        form = r.randrange(3)
        if form == 0:
            n = r.randint(3, 4)
            tips = "\n".join(f"{i}. {self.sentence(topic)}" for i in range(1, n + 1))
            return (
                f"Sure! Here are {_NUMBER_WORDS[n]} tips for {task}:\n\n{tips}\n\n{r.choice(_ANSWER_CLOSE)}"
            )
        if form == 1:
            body = self.paragraph(topic, r.randint(3, 4))
            return f"Great question. {body}\n\nIn short, {_decap(self.sentence(topic))}"
        return f"Here is a short overview of {task}.\n\n{self.paragraph(topic, 4)}"

    def long_answer(self) -> str:
        """Five tips of two sentences each, about 140 words."""
        topic = self.topic()
        task = self.r.choice(_TASKS[topic])
        tips = "\n".join(f"{i}. {self.sentence(topic)} {self.sentence(topic)}" for i in range(1, 6))
        return f"Sure! Here are five tips for {task}:\n\n{tips}\n\n{self.r.choice(_ANSWER_CLOSE)}"

    def kb_article(self, paragraphs: int = 2, lo: int = 3, hi: int = 4) -> str:
        topic = self.topic()
        title = f"Guide to {self.r.choice(_TASKS[topic])}"
        body = "\n\n".join(self.paragraph(topic, self.r.randint(lo, hi)) for _ in range(paragraphs))
        return f"{title}\n\n{body}"

    # variants ---------------------------------------------------------------------------------------

    def swap_words(self, text: str, k: int) -> str:
        """Replace ``k`` distinct words with a same-role alternative (a light copy edit)."""
        parts = re.split(r"(\s+)", text)
        candidates = []
        for i, part in enumerate(parts):
            m = re.fullmatch(r"(\W*)(\w+)(\W*)", part)
            if m and m.group(2).lower() in _SWAPS:
                candidates.append(i)
        if len(candidates) < k:
            raise RuntimeError("not enough swappable words for a near-duplicate variant")
        for i in sorted(self.r.sample(candidates, k)):
            m = re.fullmatch(r"(\W*)(\w+)(\W*)", parts[i])
            assert m is not None
            word = _SWAPS[m.group(2).lower()]
            if m.group(2)[0].isupper():
                word = _cap(word)
            parts[i] = f"{m.group(1)}{word}{m.group(3)}"
        return "".join(parts)

    def respace(self, text: str) -> str:
        """Same words, different whitespace: an exact duplicate once whitespace is normalised."""
        r = self.r
        words = text.split()
        separators = (" ", " ", " ", "  ", "\n", " \t", "   ")
        out = "  " + words[0]
        for word in words[1:]:
            out += r.choice(separators) + word
        return out + " \n\n"

    # PII --------------------------------------------------------------------------------------------

    def person_parts(self) -> tuple[str, str]:
        return self.r.choice(_FIRST_NAMES), self.r.choice(_LAST_NAMES)

    def email(self, first: str, last: str) -> str:
        r = self.r
        domain = r.choice(_EMAIL_DOMAINS)
        if r.randrange(2):
            return f"{first.lower()}.{last.lower()}@{domain}"
        return f"{first[0].lower()}{last.lower()}{r.randint(10, 99)}@{domain}"

    def phone(self, country: str) -> str:
        r = self.r

        def d(n: int) -> str:
            return "".join(str(r.randrange(10)) for _ in range(n))

        if country == "us":
            area, line = r.choice(_US_AREA_CODES), f"01{d(2)}"
            return r.choice(
                (f"({area}) 555-{line}", f"{area}-555-{line}", f"+1 {area} 555 {line}", f"{area}.555.{line}")
            )
        formats = {
            "gb": f"+44 20 7946 0{d(3)}",
            "de": f"+49 30 {r.randint(2, 9)}{d(6)}",
            "fr": f"+33 6 {d(2)} {d(2)} {d(2)} {d(2)}",
            "es": f"+34 6{d(2)} {d(3)} {d(3)}",
            "it": f"+39 02 {d(4)} {d(4)}",
            "nl": f"+31 20 {d(3)} {d(4)}",
            "pt": f"+351 21 {d(3)} {d(4)}",
        }
        return formats[country]

    def card(self) -> str:
        """A Luhn-valid Visa, Mastercard or Amex number in a common print format."""
        r = self.r
        brand = r.randrange(3)
        if brand == 0:
            prefix, length = "4", 16
        elif brand == 1:
            prefix, length = f"5{r.randint(1, 5)}", 16
        else:
            prefix, length = r.choice(("34", "37")), 15
        body = prefix + "".join(str(r.randrange(10)) for _ in range(length - len(prefix) - 1))
        number = body + _luhn_check_digit(body)
        style = r.randrange(3)
        if length == 15:
            groups = [number[:4], number[4:10], number[10:]]
        else:
            groups = [number[i : i + 4] for i in range(0, 16, 4)]
        if style == 0:
            return " ".join(groups)
        if style == 1:
            return "-".join(groups)
        return number

    def iban(self, country: str | None = None) -> str:
        """An IBAN with a valid ISO 13616 mod-97 checksum, grouped in fours or compact."""
        r = self.r
        country = country or r.choice(_IBAN_COUNTRIES)

        def d(n: int) -> str:
            return "".join(str(r.randrange(10)) for _ in range(n))

        def letters(n: int) -> str:
            return "".join(r.choice(string.ascii_uppercase) for _ in range(n))

        bban = {
            "DE": lambda: d(18),
            "GB": lambda: letters(4) + d(14),
            "FR": lambda: d(23),
            "ES": lambda: d(20),
            "NL": lambda: letters(4) + d(10),
            "IT": lambda: letters(1) + d(22),
            "PT": lambda: d(21),
        }[country]()
        iban = _iban_with_checksum(country, bban)
        if r.randrange(2):
            return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        return iban

    def ipv4(self) -> str:
        r = self.r
        prefix = r.choice(
            ("192.0.2", "198.51.100", "203.0.113", f"10.{r.randint(0, 255)}.{r.randint(0, 255)}")
        )
        return f"{prefix}.{r.randint(1, 254)}"

    def ssn(self) -> str:
        """A US SSN in a structurally valid range (no 000/666/9xx area, no 00 group, no 0000 serial)."""
        r = self.r
        area = r.choice([a for a in range(100, 900) if a != 666])
        return f"{area:03d}-{r.randint(10, 99):02d}-{r.randint(1000, 9999):04d}"

    def address(self, locale: str = "us") -> str:
        r = self.r
        if locale == "it":
            cap, city = r.choice(_IT_CITIES)
            return f"{r.choice(_IT_STREETS)} {r.randint(1, 120)}, {cap} {city}"
        city, state = r.choice(_US_CITIES)
        return (
            f"{r.randint(10, 9899)} {r.choice(_STREETS)} {r.choice(_STREET_SUFFIXES)}, {city}, {state} "
            f"{r.randint(10000, 99999)}"
        )

    def fill(self, template: str) -> tuple[str, frozenset[str]]:
        """Fill a template's slots; returns the text and the PII kinds it now contains.

        Slot names are ``kind`` or ``kind_locale`` (``phone_us``, ``iban_de``, ``address_it``); ``issue``,
        ``ask`` and ``order`` are non-PII fillers. One person per template, so a name and the e-mail
        address next to it belong together.
        """
        first, last = self.person_parts()
        values: dict[str, str] = {}
        kinds: set[str] = set()
        for _, name, _, _ in string.Formatter().parse(template):
            if not name or name in values:
                continue
            head, _, locale = name.partition("_")
            if head == "person":
                values[name] = f"{first} {last}"
            elif head == "email":
                values[name] = self.email(first, last)
            elif head == "phone":
                values[name] = self.phone(self.r.choice(_PHONE_COUNTRIES) if locale == "intl" else locale)
            elif head == "card":
                values[name] = self.card()
            elif head == "iban":
                values[name] = self.iban(locale.upper() or None)
            elif head == "ipv4":
                values[name] = self.ipv4()
            elif head == "ssn":
                values[name] = self.ssn()
            elif head == "address":
                values[name] = self.address(locale or "us")
            elif head == "issue":
                values[name] = self.issue()
            elif head == "ask":
                values[name] = self.r.choice(_ASKS)
            elif head == "order":
                values[name] = self.order()
            else:
                raise KeyError(name)
            if head in _SLOT_KINDS:
                kinds.add(_SLOT_KINDS[head])
        return template.format(**values), frozenset(kinds)


def _luhn_check_digit(body: str) -> str:
    """Check digit that makes ``body + digit`` pass the Luhn test."""
    total = 0
    # Walking right to left over the payload, every first digit is doubled (the check digit will sit
    # to its right and take the undoubled position).
    for i, ch in enumerate(reversed(body)):
        n = int(ch)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return str((10 - total % 10) % 10)


def _iban_with_checksum(country: str, bban: str) -> str:
    """ISO 13616: check digits = 98 - (BBAN + country + '00' as base-36 digits) mod 97."""
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


# ---------------------------------------------------------------------------------------------------
# Content: what goes into each source
# ---------------------------------------------------------------------------------------------------


def _populate(g: _Gen) -> dict[str, list[_Item]]:
    """Create every record, in a fixed order, grouped by source (pages excluded: see ``_pages``)."""
    b: dict[str, list[_Item]] = {s: [] for s in SOURCES if s != "pages"}
    r = g.r

    # Plain English bulk.
    for _ in range(40):
        b["web"].append(_Doc(g.article(g.topic(), r.randint(2, 3), 3, 5)))
    for _ in range(22):
        b["forum"].append(_Doc(g.forum_post()))
    for _ in range(15):
        b["tickets"].append(_Doc(g.ticket_plain()))
    for i in range(45):
        # Cycle through the templates first so every PII kind is well represented.
        template = (
            _TICKET_PII_TEMPLATES[i] if i < len(_TICKET_PII_TEMPLATES) else r.choice(_TICKET_PII_TEMPLATES)
        )
        text, kinds = g.fill(template)
        b["tickets"].append(_Doc(text, pii=kinds))
    for _ in range(25):
        b["synthetic"].append(_Doc(g.answer()))
    for _ in range(15):
        b["exports"].append(_Doc(g.kb_article()))

    # PII in other sources.
    for template in _FORUM_PII_TEMPLATES:
        text, kinds = g.fill(template)
        b["forum"].append(_Doc(text, pii=kinds))
    text, kinds = g.fill("\n\nAbout the author: {person} writes about the outdoors. Contact: {email}.")
    b["web"].append(_Doc(g.article(g.topic(), 2, 3, 4) + text, pii=kinds))
    text, kinds = g.fill("\n\nVisit our workshop at {address} or call {phone_us} during opening hours.")
    b["web"].append(_Doc(g.article("cycling", 2, 3, 4) + text, pii=kinds))
    text, kinds = g.fill("\n\nEscalation contact for this guide: {person}, {email}, {phone_intl}.")
    b["exports"].append(_Doc(g.kb_article() + text, pii=kinds))
    for lang, template in _TICKET_PII_FOREIGN.items():
        text, kinds = g.fill(template)
        b["tickets"].append(_Doc(text, lang=lang, pii=kinds))

    # Offensive lines.
    for source, lines in _TOXIC.items():
        for line in lines:
            text = line.replace("{order}", g.order())
            b[source].append(_Doc(text, toxic=True))

    # Very short documents (< 20 characters).
    for source, text in (
        ("forum", "me too"),
        ("forum", "same problem here"),
        ("forum", "lol what"),
        ("tickets", "still broken"),
        ("tickets", "refund pls"),
        ("web", "Loading..."),
        ("synthetic", "Sure."),
        ("synthetic", "OK, done."),
    ):
        b[source].append(_Doc(text))

    # Very repetitive documents.
    b["web"].append(
        _Doc(("buy cheap watches online best cheap watches free shipping " * 24).strip(), repetitive=True)
    )
    b["forum"].append(_Doc(" ".join(["bump"] * 60), repetitive=True))
    b["tickets"].append(_Doc(("please help " * 30).strip(), repetitive=True))
    b["synthetic"].append(_Doc(" ".join(["I understand your concern."] * 40), repetitive=True))

    # Boilerplate-heavy web records: a crawl that kept the chrome and little else.
    for site in ("Example News Group", "Example Daily"):
        chrome = (
            f"Accept cookies | Manage preferences\nHome | News | Sport | Weather | Contact\n"
            f"{g.sentence(g.topic())}\nRead more\nShare | Post | Email\n"
            f"Subscribe to our newsletter\n© 2024 {site}. All rights reserved."
        )
        b["web"].append(_Doc(chrome, boilerplate=True))

    # Non-English documents from the sentence pools.
    for lang, sources in _LANG_PLAN.items():
        for source in sources:
            b[source].append(_Doc(g.lang_text(lang, 3), lang=lang))

    # Exact duplicates (equal after lower-casing and whitespace normalisation).
    def exact(*members: tuple[str, str, str]) -> None:
        label = g.exact_label()
        for source, text, lang in members:
            b[source].append(_Doc(text, lang=lang, exact=label))

    t = g.article(g.topic(), 2, 3, 4)
    exact(("web", t, "en"), ("web", t, "en"))  # the same post crawled under two URLs
    t = g.article(g.topic(), 2, 3, 4)
    exact(("web", t, "en"), ("web", g.respace(t), "en"))
    t = g.lang_text("ru", 3)
    exact(("web", t, "ru"), ("web", g.respace(t), "ru"))
    t = g.lang_text("de", 3)
    exact(("web", t, "de"), ("exports", t, "de"))
    t = g.article(g.topic(), 2, 3, 4)
    exact(("web", t, "en"), ("exports", t.upper(), "en"))
    t = g.article(g.topic(), 2, 3, 4)
    exact(("web", t, "en"), ("synthetic", t.lower(), "en"), ("exports", g.respace(t), "en"))
    t = g.forum_post()
    exact(("forum", t, "en"), ("forum", t, "en"))  # a double post
    t = g.paragraph(g.topic(), 2) + "\n\n" + g.paragraph(g.topic(), 2)
    exact(("forum", t, "en"), ("tickets", " ".join(t.split()), "en"))  # multi-line body vs one line
    t = g.ticket_plain()
    exact(("tickets", t, "en"), ("tickets", t, "en"))  # re-submitted ticket
    t = g.ticket_plain()
    exact(("tickets", t, "en"), ("tickets", t.upper(), "en"))  # the same ticket, shouted
    t = g.answer()
    exact(("synthetic", t, "en"), ("synthetic", t, "en"))  # two models, one answer
    t = g.answer()
    exact(("synthetic", t, "en"), ("web", t, "en"))  # generated text crawled back from the web
    t = g.kb_article()
    label = g.exact_label()
    b["exports"].append(_Doc(t, exact=label))
    b["exports"].append(_Doc(t, exact=label, pin="export-001.json"))  # the single-object export
    exact(("forum", "Thanks!", "en"), ("tickets", "thanks!", "en"))
    t = g.lang_text("zh", 3)
    exact(("forum", t, "zh"), ("synthetic", t, "zh"))

    # Near duplicates: one base, one variant with 1-3 words changed or one sentence appended.
    def near(base_source: str, base: str, variant_source: str, variant: str, lang: str = "en") -> None:
        if _exact_key(base) == _exact_key(variant):
            raise RuntimeError("near-duplicate variant is an exact duplicate")
        label = g.near_label()
        b[base_source].append(_Doc(base, lang=lang, near=label))
        b[variant_source].append(_Doc(variant, lang=lang, near=label))

    for k in (1, 2, 3, 2):
        t = g.long_article()
        near("web", t, "web", g.swap_words(t, k))
    t = g.long_article()
    near("web", t, "web", t + "\n\nUpdated: this post was revised after reader feedback.")
    for k in (1, 2, 3, 1):
        t = g.long_article()
        near("web", t, "exports", g.swap_words(t, k))
    t = g.lang_text("de", 6)
    near("web", t, "exports", t + " Mehr dazu lesen Sie in der nächsten Ausgabe.", "de")
    t = g.lang_text("fr", 6)
    near("web", t, "web", t + " La suite au prochain numéro.", "fr")
    for k in (1, 2):
        t = g.long_forum_post()
        near("forum", t, "forum", g.swap_words(t, k))
    t = g.long_forum_post()
    near("forum", t, "web", t + "\n\nReposted from the community forum with the author's permission.")
    t = g.ticket_long()
    near("tickets", t, "tickets", t + " Sending this again because nobody has replied in four days.")
    t = g.ticket_long()
    near("tickets", t, "tickets", t + " Any update on this?")
    t = g.ticket_long()
    near("tickets", t, "forum", t + " Posting here as well since support has gone quiet.")
    t = g.long_answer()
    near("synthetic", t, "synthetic", t + " I hope this helps!")
    t = g.long_answer()
    near("synthetic", t, "synthetic", g.swap_words(t, 1))
    t = g.long_answer()
    near("synthetic", t, "synthetic", g.swap_words(t, 2))
    t = g.long_answer()
    near("synthetic", t, "synthetic", t + " Feel free to ask a follow-up question.")
    t = g.kb_article(3, 5, 5)
    near("exports", t, "synthetic", g.swap_words(t, 2))  # a model reciting the knowledge base

    # Records that must be quarantined.
    b["web"] += [
        _Bad("malformed_json", "truncated", pin="web-000.jsonl.gz"),
        _Bad("malformed_json", "array", pin="web-000.jsonl.gz"),
        _Bad("malformed_json", "bare", pin="web-001.jsonl"),
        _Bad("malformed_json", "trailing", pin="web-001.jsonl"),
        _Bad("missing_text", "null", pin="web-000.jsonl.gz"),
        _Bad("missing_text", "absent", pin="web-001.jsonl"),
        _Bad("missing_text", "whitespace", pin="web-001.jsonl"),
        # In the gzip file: 50 kB of repeated paragraphs compresses to almost nothing.
        _Bad("oversize", "oversize", pin="web-000.jsonl.gz", text=g.paragraph("travel", 6)),
    ]
    b["forum"] += [
        _Bad("malformed_csv", "extra_fields", text="I tried that, and it failed, twice, so no"),
        _Bad("missing_text", "empty_body"),
    ]
    b["tickets"] += [
        _Bad("missing_text", "blank", pin="tickets-000.txt"),
        _Bad("invalid_utf8", "invalid_utf8", pin="tickets-000.txt", text=g.ticket_plain()),
    ]
    b["synthetic"].append(_Bad("missing_text", "null"))
    return b


def _pages(g: _Gen) -> list[_Doc]:
    """Twelve one-document-per-file web pages, in file order (page-000.txt ... page-011.txt)."""
    article = f"Keeping a Raised Bed Productive\n\n{g.article('gardening', 3, 4, 5)}\n"
    cookie = (
        "We use cookies to improve your experience. By continuing to browse you accept our use of "
        "cookies. Accept all | Manage preferences"
    )
    contact, kinds = g.fill(
        "Contact us\n\nExample Outdoor Supplies Ltd.\n{address}\nPhone: {phone_us}\nEmail: {email}\n"
        "Store manager: {person}\n"
    )
    pages = [
        _Doc(article, exact="page"),
        _Doc(
            "Skip to main content\nHome | Recipes | Travel | Shop | About us | Contact\n"
            f"{cookie}\nSearch...\nSign in | Register\nThree Ways to Rescue a Soup\n"
            f"{g.sentence('cooking')}\nShare on Facebook | Share on X | Email this page\nRelated posts\n"
            "Subscribe to our newsletter for weekly updates!\n"
            "Privacy Policy | Terms of Use | Cookie Settings | Sitemap\n"
            "© 2024 Example Media Ltd. All rights reserved.\n",
            boilerplate=True,
        ),
        _Doc(
            "Welcome to our new website!\nHome | Services | Portfolio | Blog | Contact\n"
            "This site uses cookies. Learn more | Got it\nOur Services\n"
            f"{_LOREM}\nMore content coming soon. Stay tuned!\nFollow us on social media\n"
            "Copyright 2024 Example Studio. All rights reserved. | Imprint | Privacy\n",
            boilerplate=True,
        ),
        _Doc("Click here\n"),
        _Doc("Best deals on cheap flights! Book now and save big!\n" * 40, repetitive=True),
        _Doc(f"Neuigkeiten aus dem Viertel\n\n{g.lang_text('de', 3)}\n", lang="de"),
        _Doc(
            "Home | Shop | Workshops | Blog | Contact\n"
            f"{cookie}\n{contact}Opening hours: Monday to Saturday, 9 to 6\n"
            "Newsletter | Careers | Press\n© 2024 Example Outdoor Supplies Ltd. All rights reserved.\n",
            boilerplate=True,
            pii=kinds,
        ),
        _Doc(
            "A Lentil Soup for Cold Evenings\n\nIngredients\n- 250 g red lentils\n- 1 onion\n- 2 carrots\n"
            "- 1 litre vegetable stock\n\nMethod\n" + g.article("cooking", 2, 3, 4) + "\n"
        ),
        _Doc(f"地域のお知らせ\n\n{g.lang_text('ja', 3)}\n", lang="ja"),
        _Doc(
            "404 - Page not found\nThe page you are looking for might have been removed or is temporarily "
            "unavailable.\nGo back to homepage\nHome | Shop | Blog | Help\n"
            "© 2023 Example Shop. All rights reserved.\n",
            boilerplate=True,
        ),
        _Doc(f"What to See in the Winter Sky\n\n{g.article('astronomy', 3, 3, 4)}\n"),
        # page-000 again with Windows line endings and doubled spaces: equal after normalisation.
        _Doc(article.replace(". ", ".  ").replace("\n", "\r\n"), exact="page"),
    ]
    return pages


# ---------------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------------


def _gzip(data: bytes) -> bytes:
    """Gzip with mtime 0 and no stored file name, so the bytes depend on the content only."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def _assign(r: random.Random, items: list[_Item], files: Sequence[str]) -> dict[str, list[_Item]]:
    """Spread items over files (pinned items where pinned), then shuffle each file's order."""
    out: dict[str, list[_Item]] = {f: [] for f in files}
    free: list[_Item] = []
    for item in items:
        if item.pin is not None:
            out[item.pin].append(item)
        else:
            free.append(item)
    r.shuffle(free)
    per = math.ceil(len(free) / len(files))
    for i, name in enumerate(files):
        out[name].extend(free[i * per : (i + 1) * per])
    for name in files:
        r.shuffle(out[name])
    return out


def _count(w: _Written, source: str, item: _Item, key: str) -> None:
    w.records[source] = w.records.get(source, 0) + 1
    if isinstance(item, _Bad):
        reasons = w.quarantine.setdefault(source, {})
        reasons[item.reason] = reasons.get(item.reason, 0) + 1
    else:
        w.documents.append((source, key, item))


def _json_line(record: dict[str, Any]) -> str:
    # ensure_ascii=False: real crawls carry raw UTF-8, not \u escapes.
    return json.dumps(record, ensure_ascii=False)


def _write_web(g: _Gen, items: list[_Item], root: Path, w: _Written) -> None:
    r = g.r
    files = _assign(r, items, ("web-000.jsonl.gz", "web-001.jsonl"))
    sites = (
        "www.example.com",
        "blog.example.org",
        "news.example.net",
        "garden.example.com",
        "travel.example.org",
    )
    n = 0
    for name, file_items in files.items():
        lines: list[str] = []
        for item in file_items:
            n += 1
            rid = f"web-{n:05d}"
            record: dict[str, Any] = {
                "id": rid,
                "url": f"https://{r.choice(sites)}/posts/{n:05d}-{r.choice(_THREADS)}",
                "text": None,
                "crawl_date": f"2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
            }
            if isinstance(item, _Doc):
                record["text"] = item.text
                lines.append(_json_line(record))
            elif item.kind == "truncated":
                record["text"] = g.paragraph(g.topic(), 3)
                full = _json_line(record)
                lines.append(full[: len(full) // 2])  # cut inside the text value: unclosed string and object
            elif item.kind == "array":
                # Valid JSON, but an array: Spark's JSON reader would explode it into two rows.
                second = dict(record, id=f"{rid}-b", text=g.sentence(g.topic()))
                lines.append(
                    json.dumps([dict(record, text=g.sentence(g.topic())), second], ensure_ascii=False)
                )
            elif item.kind == "bare":
                lines.append(
                    "Crawler note: rate limited by origin, 312 pages skipped, resuming in 10 minutes"
                )
            elif item.kind == "trailing":
                record["text"] = g.sentence(g.topic())
                lines.append(_json_line(record) + "garbage-after-object")
            elif item.kind == "null":
                lines.append(_json_line(record))
            elif item.kind == "absent":
                del record["text"]
                lines.append(_json_line(record))
            elif item.kind == "whitespace":
                # Tab and newline as well as spaces: a space-only trim() would not catch it.
                record["text"] = "   \t\n  "
                lines.append(_json_line(record))
            elif item.kind == "oversize":
                paragraphs = MAX_TEXT_CHARS // len(item.text) + 2
                record["text"] = "\n\n".join([item.text] * paragraphs)
                lines.append(_json_line(record))
            else:
                raise ValueError(item.kind)
            _count(w, "web", item, rid)
        data = ("\n".join(lines) + "\n").encode("utf-8")
        (root / name).write_bytes(_gzip(data) if name.endswith(".gz") else data)


def _csv_field(value: str) -> str:
    """RFC 4180: quote a field holding a comma, quote or line break, doubling inner quotes."""
    if any(ch in value for ch in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _write_forum(g: _Gen, items: list[_Item], root: Path, w: _Written) -> None:
    r = g.r
    files = _assign(r, items, ("forum-000.csv",))
    for name, file_items in files.items():
        rows = ["post_id,thread,author,body"]
        for i, item in enumerate(file_items, start=1):
            post_id = f"p-{1000 + i}"
            head = [post_id, r.choice(_THREADS), r.choice(_AUTHORS)]
            if isinstance(item, _Doc):
                rows.append(",".join(_csv_field(v) for v in [*head, item.text]))
            elif item.kind == "extra_fields":
                rows.append(",".join([*head, item.text]))  # unquoted commas: seven fields, not four
            elif item.kind == "empty_body":
                rows.append(",".join([*head, ""]))
            else:
                raise ValueError(item.kind)
            _count(w, "forum", item, post_id)
        # LF line ends, also inside quoted bodies: one convention for the whole file.
        (root / name).write_bytes(("\n".join(rows) + "\n").encode("utf-8"))


def _write_tickets(g: _Gen, items: list[_Item], root: Path, w: _Written) -> None:
    files = _assign(g.r, items, ("tickets-000.txt", "tickets-001.txt.gz"))
    for name, file_items in files.items():
        lines: list[bytes] = []
        for lineno, item in enumerate(file_items, start=1):
            if isinstance(item, _Doc):
                lines.append(item.text.encode("utf-8"))
            elif item.kind == "blank":
                lines.append(b"")
            elif item.kind == "invalid_utf8":
                raw = item.text.encode("utf-8")
                cut = raw.index(b" ", len(raw) // 2)
                lines.append(raw[:cut] + b" \xff\xfe" + raw[cut:])  # never valid in UTF-8
            else:
                raise ValueError(item.kind)
            _count(w, "tickets", item, f"{name}:{lineno}")
        data = b"\n".join(lines) + b"\n"
        (root / name).write_bytes(_gzip(data) if name.endswith(".gz") else data)


def _write_pages(pages: list[_Doc], root: Path, w: _Written) -> None:
    for i, page in enumerate(pages):
        name = f"page-{i:03d}.txt"
        (root / name).write_bytes(page.text.encode("utf-8"))
        _count(w, "pages", page, name)


def _write_synthetic(g: _Gen, items: list[_Item], root: Path, w: _Written) -> None:
    r = g.r
    files = _assign(r, items, ("synthetic-000.parquet",))
    for name, file_items in files.items():
        ids: list[str] = []
        texts: list[str | None] = []
        models: list[str] = []
        prompt_ids: list[int] = []
        prompt_of: dict[str, int] = {}
        used_models: dict[int, list[str]] = {}
        next_prompt = 4001
        for i, item in enumerate(file_items, start=1):
            # Records that answer one prompt (exact and near duplicates) share its prompt_id.
            group = item.exact or item.near if isinstance(item, _Doc) else None
            if group is not None and group in prompt_of:
                prompt_id = prompt_of[group]
            else:
                prompt_id = next_prompt
                next_prompt += 1
                if group is not None:
                    prompt_of[group] = prompt_id
            # Different models for answers to the same prompt, as in a multi-model generation run.
            taken = used_models.setdefault(prompt_id, [])
            model = r.choice([m for m in _MODELS if m not in taken] or list(_MODELS))
            taken.append(model)
            ids.append(f"syn-{i:04d}")
            texts.append(item.text if isinstance(item, _Doc) else None)
            models.append(model)
            prompt_ids.append(prompt_id)
            _count(w, "synthetic", item, f"syn-{i:04d}")
        table = pa.table(
            {
                "id": pa.array(ids, pa.string()),
                "text": pa.array(texts, pa.string()),
                "model": pa.array(models, pa.string()),
                "prompt_id": pa.array(prompt_ids, pa.int64()),
            }
        )
        sink = pa.BufferOutputStream()
        # Every setting that shapes the bytes is spelled out, so a pyarrow default change cannot move them.
        pq.write_table(
            table,
            sink,
            row_group_size=len(ids),
            version="2.6",
            use_dictionary=False,
            compression="snappy",
            write_statistics=True,
            data_page_version="1.0",
            store_schema=True,
        )
        (root / name).write_bytes(sink.getvalue().to_pybytes())


def _write_exports(g: _Gen, items: list[_Item], root: Path, w: _Written) -> None:
    files = _assign(g.r, items, ("export-000.json", "export-001.json"))
    single = files["export-001.json"]
    # export-001.json is one object; only the pinned record may go there.
    files["export-000.json"].extend(item for item in single if item.pin is None)
    files["export-001.json"] = [item for item in single if item.pin is not None]
    if len(files["export-001.json"]) != 1:
        raise RuntimeError("export-001.json must hold exactly one record")
    n = 0
    for name in ("export-000.json", "export-001.json"):
        objects: list[dict[str, str]] = []
        for item in files[name]:
            n += 1
            doc_id = f"exp-{n:04d}"
            if not isinstance(item, _Doc):
                raise ValueError("exports hold no malformed records")
            objects.append({"doc": doc_id, "content": item.text})
            _count(w, "exports", item, doc_id)
        payload: Any = objects if name == "export-000.json" else objects[0]
        text = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
        (root / name).write_bytes(text.encode("utf-8"))


# ---------------------------------------------------------------------------------------------------
# Ground truth
# ---------------------------------------------------------------------------------------------------


def _ground_truth(seed: int, w: _Written) -> dict[str, Any]:
    order = {s: i for i, s in enumerate(SOURCES)}
    docs = sorted(w.documents, key=lambda d: order[d[0]])  # stable: file order within a source

    for _, _, doc in docs:
        odd = {ch for ch in doc.text if ch.isspace() and ch not in " \t\r\n"}
        if odd:
            # Python's str.split() and Java's \s disagree on these; keep the exact-dup rule unambiguous.
            raise RuntimeError(f"unexpected whitespace characters {sorted(odd)!r}")

    by_key: dict[str, list[int]] = {}
    for i, (_, _, doc) in enumerate(docs):
        by_key.setdefault(_exact_key(doc.text), []).append(i)
    exact_group: dict[int, str] = {}
    for members in sorted((m for m in by_key.values() if len(m) > 1), key=lambda m: m[0]):
        label = f"g{len(set(exact_group.values())) + 1}"
        for i in members:
            exact_group[i] = label

    near_group: dict[str, str] = {}
    for _, _, doc in docs:
        if doc.near is not None and doc.near not in near_group:
            near_group[doc.near] = f"n{len(near_group) + 1}"

    # The intended clusters must be exactly what the normalisation finds, and near duplicates must stay
    # clear of exact ones, or the labels would contradict each other.
    intended: dict[str, set[str]] = {}
    for i, (_, _, doc) in enumerate(docs):
        if doc.exact is not None:
            intended.setdefault(doc.exact, set()).add(exact_group.get(i, "none"))
        if doc.near is not None and i in exact_group:
            raise RuntimeError("a near-duplicate member is also an exact duplicate")
    for label, groups in intended.items():
        if len(groups) != 1 or "none" in groups:
            raise RuntimeError(f"intended exact cluster {label} was not realised")

    documents = []
    for i, (source, key, doc) in enumerate(docs):
        documents.append(
            {
                "source": source,
                "key": key,
                "lang": doc.lang,
                "pii": sorted(doc.pii),
                "toxic": doc.toxic,
                "boilerplate": doc.boilerplate,
                "repetitive": doc.repetitive,
                "short": len(_exact_key(doc.text)) < SHORT_CHARS,
                "exact_dup_group": exact_group.get(i),
                "near_dup_group": near_group.get(doc.near) if doc.near is not None else None,
            }
        )

    sources = {
        s: {"records": w.records.get(s, 0), "quarantine": dict(sorted(w.quarantine.get(s, {}).items()))}
        for s in SOURCES
    }
    records = sum(w.records.values())
    quarantined = sum(sum(reasons.values()) for reasons in w.quarantine.values())
    return {
        "seed": seed,
        "sources": sources,
        "totals": {"records": records, "quarantined": quarantined, "valid": records - quarantined},
        "documents": documents,
    }


# ---------------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------------


def write_sample_corpus(out_dir: Path, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """(Re)create ``out_dir/landing`` and ``out_dir/ground_truth.json``.

    Both are deleted first, so stale files never survive a regeneration. The output is byte-for-byte
    a function of ``seed`` (Parquet: for a given pyarrow release, which it records in ``created_by``).

    Args:
        out_dir: Folder to write into; created if missing. Nothing else under it is touched.
        seed: Seed for the one ``random.Random`` that drives all choices.

    Returns:
        The ground-truth dict, identical to what was written to ``ground_truth.json``.
    """
    out_dir = Path(out_dir)
    landing = out_dir / "landing"
    truth_path = out_dir / "ground_truth.json"
    if landing.exists():
        shutil.rmtree(landing)
    truth_path.unlink(missing_ok=True)

    g = _Gen(seed)
    buckets = _populate(g)
    pages = _pages(g)

    written = _Written()
    dirs = {s: landing / s for s in SOURCES}
    for d in dirs.values():
        d.mkdir(parents=True)
    _write_web(g, buckets["web"], dirs["web"], written)
    _write_forum(g, buckets["forum"], dirs["forum"], written)
    _write_tickets(g, buckets["tickets"], dirs["tickets"], written)
    _write_pages(pages, dirs["pages"], written)
    _write_synthetic(g, buckets["synthetic"], dirs["synthetic"], written)
    _write_exports(g, buckets["exports"], dirs["exports"], written)

    truth = _ground_truth(seed, written)
    text = json.dumps(truth, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    truth_path.write_bytes(text.encode("utf-8"))
    return truth


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m dq_engine.sample.corpus [OUT_DIR] [--seed N]``.

    Args:
        argv: Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns:
        Process exit code (0).
    """
    parser = argparse.ArgumentParser(
        description="Write the dq-engine sample landing corpus and ground truth."
    )
    parser.add_argument("out_dir", nargs="?", type=Path, default=DEFAULT_OUT_DIR)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    truth = write_sample_corpus(args.out_dir, seed=args.seed)
    totals = truth["totals"]
    print(
        f"wrote {args.out_dir}: {totals['records']} records, {totals['quarantined']} quarantined, "
        f"{totals['valid']} valid"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
