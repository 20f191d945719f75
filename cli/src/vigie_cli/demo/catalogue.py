"""What demo incidents look like, category by category: how frequent, how grave, who is hit,
how often a complaint is filed, what they cost, and how a gardien would describe them.

Pure data. The weights are plausible orders of magnitude for a social-housing landlord's
incident log (tags and dépôts sauvages every day, physical aggressions rare), not statistics."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CategoryProfile:
    """How incidents of one category are drawn."""

    code: str
    weight: float  # relative frequency among all incidents
    severities: tuple[float, float, float, float]  # weights of severity 1..4
    targets: dict[str, float]
    # Weights of the complaint values in the contract's order (vigie.contract.events.COMPLAINTS:
    # plainte, main_courante, aucune, inconnu): plainte is much rarer than the incident itself
    # (the "complaint gap" the dashboard shows).
    complaints: tuple[float, float, float, float]
    cost_eur: tuple[float, float] | None  # (typical, high) repair cost, None when not costed
    texts: tuple[str, ...]


PLACES = (
    "le hall du bâtiment A",
    "le hall du bâtiment C",
    "la cage d'escalier n°2",
    "la cage d'escalier n°5",
    "le parking souterrain",
    "le local poubelles",
    "l'aire de jeux",
    "les caves du bâtiment B",
    "l'entrée principale de la résidence",
    "le local vélos",
    "la coursive du 3e étage",
    "le pied d'immeuble côté rue",
)

PROFILES: tuple[CategoryProfile, ...] = (
    CategoryProfile(
        "ENV-DEP",
        20.0,
        (45, 40, 13, 2),
        {"patrimoine": 85, "autre": 15},
        (2, 4, 80, 14),
        (120.0, 900.0),
        (
            "Dépôt sauvage d'encombrants (matelas, meubles) devant {place}.",
            "Gravats et sacs de déchets abandonnés dans {place}, enlèvement demandé.",
            "Nouveau dépôt d'encombrants signalé par le gardien dans {place}.",
            "Électroménager abandonné dans {place}, risque pour les enfants.",
        ),
    ),
    CategoryProfile(
        "BIE-TAG",
        16.0,
        (55, 35, 8, 2),
        {"patrimoine": 95, "autre": 5},
        (3, 3, 84, 10),
        (80.0, 1500.0),
        (
            "Tags sur les murs dans {place}, nettoyage programmé.",
            "Graffitis à la peinture dans {place}.",
            "Inscriptions injurieuses taguées dans {place}.",
            "Tags répétés dans {place} malgré le nettoyage de la semaine dernière.",
        ),
    ),
    CategoryProfile(
        "BIE-DEG",
        14.0,
        (30, 45, 20, 5),
        {"patrimoine": 92, "prestataire": 3, "autre": 5},
        (10, 8, 70, 12),
        (250.0, 4500.0),
        (
            "Porte d'accès forcée dans {place}, serrure à remplacer.",
            "Ascenseur dégradé (bouton d'appel arraché), intervention de l'ascensoriste.",
            "Boîtes aux lettres fracturées dans {place}.",
            "Éclairage vandalisé dans {place}, plusieurs luminaires cassés.",
            "Interphone arraché à l'entrée, résidents sans accès.",
        ),
    ),
    CategoryProfile(
        "ENV-JET",
        6.0,
        (60, 32, 7, 1),
        {"patrimoine": 70, "locataire": 20, "autre": 10},
        (1, 2, 85, 12),
        (60.0, 400.0),
        (
            "Jets d'ordures par les fenêtres, déchets retrouvés dans {place}.",
            "Sacs poubelles jetés depuis les étages, nettoyage du pied d'immeuble.",
            "Déchets alimentaires lancés des balcons sur {place}.",
        ),
    ),
    CategoryProfile(
        "ENV-VEH",
        4.0,
        (50, 35, 13, 2),
        {"patrimoine": 60, "autre": 40},
        (4, 3, 78, 15),
        (150.0, 1200.0),
        (
            "Véhicule épave sur le parking de la résidence depuis plusieurs semaines.",
            "Mécanique sauvage sur le parking, traces d'huile au sol.",
            "Stationnement gênant bloquant l'accès pompiers devant {place}.",
        ),
    ),
    CategoryProfile(
        "SQU-LOC",
        4.0,
        (20, 45, 28, 7),
        {"patrimoine": 80, "locataire": 15, "autre": 5},
        (8, 12, 60, 20),
        (300.0, 3000.0),
        (
            "Cave squattée, matelas et restes de repas retrouvés dans {place}.",
            "Local commun occupé la nuit, serrure changée par des inconnus.",
            "Squat dans {place}, condamnation de l'accès demandée.",
        ),
    ),
    CategoryProfile(
        "SQU-LOG",
        1.5,
        (5, 30, 45, 20),
        {"patrimoine": 90, "autre": 10},
        (45, 10, 25, 20),
        (1500.0, 12000.0),
        (
            "Logement vacant squatté après effraction, procédure engagée.",
            "Occupation sans droit ni titre d'un logement en cours de relocation.",
        ),
    ),
    CategoryProfile(
        "VOI-BRU",
        7.0,
        (50, 38, 10, 2),
        {"locataire": 90, "autre": 10},
        (1, 10, 70, 19),
        None,
        (
            "Nuisances sonores nocturnes répétées signalées par plusieurs locataires.",
            "Musique forte et rassemblement bruyant dans {place} après minuit.",
            "Plainte de voisins pour tapage récurrent au 4e étage.",
        ),
    ),
    CategoryProfile(
        "VOI-ANI",
        2.0,
        (55, 35, 9, 1),
        {"locataire": 70, "personnel": 10, "autre": 20},
        (2, 8, 70, 20),
        None,
        (
            "Chien non tenu en laisse dans {place}, locataires inquiets.",
            "Nourrissage de pigeons depuis un balcon, salissures importantes.",
            "Aboiements incessants signalés par le voisinage.",
        ),
    ),
    CategoryProfile(
        "VOI-CON",
        5.0,
        (35, 45, 16, 4),
        {"locataire": 90, "autre": 10},
        (6, 18, 56, 20),
        None,
        (
            "Conflit de voisinage entre deux familles, médiation proposée.",
            "Différend entre locataires dans {place}, échanges tendus.",
            "Altercation verbale entre voisins sur le palier.",
        ),
    ),
    CategoryProfile(
        "OCC-HAL",
        8.0,
        (35, 45, 17, 3),
        {"locataire": 50, "personnel": 15, "patrimoine": 25, "autre": 10},
        (2, 6, 72, 20),
        None,
        (
            "Occupation abusive dans {place} en soirée, passage difficile pour les résidents.",
            "Regroupement de jeunes dans {place}, nuisances et déchets.",
            "Hall occupé toute la nuit, locataires n'osant plus sortir.",
        ),
    ),
    CategoryProfile(
        "OCC-ROD",
        2.5,
        (15, 40, 35, 10),
        {"autre": 60, "locataire": 30, "patrimoine": 10},
        (10, 15, 55, 20),
        None,
        (
            "Rodéo de motos sur le parking et les voies internes de la résidence.",
            "Quads et motocross en rodéo, passages répétés par {place}, riverains excédés.",
        ),
    ),
    CategoryProfile(
        "BIE-INC",
        1.5,
        (5, 20, 45, 30),
        {"patrimoine": 85, "locataire": 10, "autre": 5},
        (60, 10, 15, 15),
        (800.0, 25000.0),
        (
            "Incendie volontaire de containers dans {place}, intervention des pompiers.",
            "Départ de feu volontaire dans {place}, fumées dans la cage d'escalier.",
            "Véhicule incendié sur le parking de la résidence.",
        ),
    ),
    CategoryProfile(
        "BIE-VOL",
        3.0,
        (20, 45, 28, 7),
        {"patrimoine": 60, "locataire": 35, "autre": 5},
        (40, 12, 28, 20),
        (100.0, 3000.0),
        (
            "Cambriolage de caves dans {place}, plusieurs boxes fracturés.",
            "Vol de matériel dans le local technique.",
            "Vol de câbles et de compteurs dans {place}.",
        ),
    ),
    CategoryProfile(
        "TRA-DEA",
        2.5,
        (5, 30, 45, 20),
        {"autre": 55, "locataire": 25, "personnel": 10, "patrimoine": 10},
        (5, 12, 53, 30),
        None,
        (
            "Point de deal installé dans {place}, guetteurs en journée.",
            "Trafic constaté au pied de l'immeuble, signalement transmis au CLSPD.",
            "Contrôle des entrées par des guetteurs devant {place}.",
        ),
    ),
    CategoryProfile(
        "TRA-STO",
        0.5,
        (0, 15, 45, 40),
        {"patrimoine": 70, "autre": 30},
        (35, 15, 30, 20),
        None,
        (
            "Découverte de produits stupéfiants cachés dans {place}.",
            "Stockage suspect dans une cave, remis aux forces de l'ordre.",
        ),
    ),
    CategoryProfile(
        "PER-VER",
        3.0,
        (10, 45, 35, 10),
        {"personnel": 45, "prestataire": 15, "locataire": 35, "autre": 5},
        (18, 22, 42, 18),
        None,
        (
            "Menaces verbales envers le gardien lors d'une intervention dans {place}.",
            "Insultes et intimidation à l'encontre d'un agent d'entretien.",
            "Menaces proférées contre un prestataire en intervention.",
        ),
    ),
    CategoryProfile(
        "PER-PHY",
        0.6,
        (0, 10, 40, 50),
        {"personnel": 45, "prestataire": 15, "locataire": 35, "autre": 5},
        (50, 15, 15, 20),
        None,
        (
            "Agression physique d'un gardien dans {place}, arrêt de travail.",
            "Un agent de proximité bousculé et frappé lors d'une visite.",
            "Agression d'un locataire dans {place}, secours appelés.",
        ),
    ),
)

# Categories that flare up on a hotspot (a deal point settling in, rodéos every evening).
SURGE_CATEGORIES = frozenset({"TRA-DEA", "OCC-ROD", "OCC-HAL", "PER-VER", "BIE-INC"})

# Fictional contacts: intake masks them before anything is stored or published.
CONTACT_SUFFIXES = (
    " Contact gardien : 06 {a:02d} {b:02d} {c:02d} {d:02d}.",
    " Rappeler le locataire au 07.{a:02d}.{b:02d}.{c:02d}.{d:02d}.",
    " Signalé par mail : j.martin{a}@exemple.fr",
    " Témoin joignable au +33 6 {a:02d} {b:02d} {c:02d} {d:02d}.",
)

HOUR_WEIGHTS = (
    2, 1.5, 1, 0.7, 0.5, 0.5, 0.8, 1.5, 2.5, 3, 3, 3,
    3, 3, 3, 3.2, 3.5, 4, 4.5, 5, 5, 4.5, 3.5, 2.5,
)  # fmt: skip
# Monday first: more incidents around the week-end (rodéos, gatherings).
WEEKDAY_WEIGHTS = (0.9, 0.9, 0.95, 1.0, 1.1, 1.25, 1.15)
