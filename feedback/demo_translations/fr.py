"""French text of the demo consultation (seed_demo); terms as in docs/GLOSSARY.md."""

CONSULTATION = {
    "title": "Séance de consultation des parties prenantes avec les fournisseurs de technologies",
    "stakeholder_group": "Fournisseurs de technologies",
    "summary": "Boîte à outils pour une innovation responsable en matière d'intelligence artificielle (IA) "
    "dans le domaine de l'application de la loi : contributions des fournisseurs de technologies sur les "
    "projets de ressources.",
    "background": """\
Si l'intelligence artificielle (IA) est une technologie prometteuse, son utilisation par les services \
chargés de l'application de la loi peut souvent constituer un sujet très sensible et controversé. En \
l'absence d'orientations spécifiques sur l'utilisation de l'IA dans ce domaine, il est d'autant plus \
nécessaire de faire progresser la gouvernance de l'IA pour les services chargés de l'application de la loi.

À cette fin, le Centre d'innovation d'INTERPOL et le Centre pour l'intelligence artificielle et la robotique \
de l'Institut interrégional de recherche des Nations Unies sur la criminalité et la justice (UNICRI) ont \
entrepris d'élaborer une Boîte à outils pour une innovation responsable en matière d'IA dans le domaine de \
l'application de la loi, avec le soutien financier de l'Union européenne.

L'initiative vise à combler les lacunes en matière d'orientations et à aider les services chargés de \
l'application de la loi du monde entier à développer, acquérir et déployer l'IA de manière responsable. À \
cet effet, la Boîte à outils comprendra une série de ressources pratiques et opérationnelles destinées à \
aider ces services à respecter les principes d'une innovation responsable en matière d'IA, qui s'inspirent \
des droits humains et des principes éthiques relatifs aux activités de police.

Afin de favoriser l'ouverture et la transparence du processus d'élaboration de la Boîte à outils, et de \
garantir que le projet soit accepté par l'ensemble des parties prenantes concernées et bénéficie de leurs \
éclairages, INTERPOL et l'UNICRI organisent une série de consultations avec des représentants des services \
chargés de l'application de la loi et d'autres parties prenantes importantes issues du secteur privé, du \
milieu universitaire, de la magistrature et du ministère public, ainsi qu'avec des spécialistes des droits \
humains.""",
    "objective": """\
Si les services chargés de l'application de la loi jouent un rôle important pour garantir une utilisation \
responsable de l'IA, la technologie qu'ils emploient est souvent développée par d'autres entités. Selon un \
sondage réalisé par INTERPOL et l'UNICRI lors de la 3ᵉ Réunion mondiale sur l'IA au service de l'application \
de la loi, dans environ 60 % des cas, lorsque les services chargés de l'application de la loi envisagent de \
recourir à l'IA, ils cherchent à acquérir des outils auprès de fournisseurs de technologies plutôt qu'à \
développer des capacités en interne.

Compte tenu du rôle important que jouent les fournisseurs de technologies pour garantir une IA responsable, \
la présente consultation vise à recueillir leurs contributions sur les orientations figurant dans la Boîte à \
outils. Au cours de la consultation, INTERPOL et l'UNICRI présenteront dans leurs grandes lignes les \
ambitions et les objectifs de la Boîte à outils et en décriront les différentes ressources. Il s'agit \
notamment des principes qui devraient guider l'utilisation de l'IA par les services chargés de l'application \
de la loi et des principaux éléments que ces services doivent prendre en considération pour assurer la mise \
en œuvre de ces principes, lesquels peuvent influer sur les décisions prises au cours des processus \
d'acquisition. En définitive, la consultation vise à confirmer avec les fournisseurs de technologies que ce \
qui est présenté aux services chargés de l'application de la loi reflète le point de vue de celles et ceux \
qui développent et fournissent la technologie à ces services.""",
    "structure": """\
La consultation prendra la forme d'une discussion modérée. La Boîte à outils et ses différentes ressources, \
communiquées avant la réunion pour examen, seront d'abord présentées. Chaque participant·e aura ensuite la \
possibilité de formuler individuellement des observations générales et d'échanger librement avec l'équipe de \
la Boîte à outils et les autres participant·es. Une série de questions d'orientation sera posée afin de \
structurer une discussion de groupe.

La présente consultation est réservée aux représentants des fournisseurs de technologies qui proposent des \
technologies fondées sur l'IA aux services chargés de l'application de la loi. Sont concernés les \
fournisseurs qui développent des outils fondés sur l'IA exclusivement destinés à ces services, ainsi que \
ceux qui développent des outils utilisés par les services chargés de l'application de la loi parmi d'autres \
clients.""",
    "expected_outcomes": """\
La réunion devrait contribuer à l'élaboration de la Boîte à outils de la manière suivante :
– recueillir des éclairages sur la meilleure façon de refléter le point de vue des fournisseurs de \
technologies dans la Boîte à outils ;
– obtenir les contributions d'experts sur les projets de ressources de la Boîte à outils.""",
    "window_note": "Ceci est une démonstration. La réunion en ligne a eu lieu le 3 novembre 2022 ; afin que "
    "la démonstration puisse être testée, la période de contribution écrite s'ouvre le jour du chargement "
    "des données de démonstration et reste ouverte pendant quatre semaines.",
    "confidentiality": "INTERPOL – Usage officiel uniquement",
}

QUESTIONS = {
    1: "Que pensez-vous de la Boîte à outils et de ses ressources du point de vue d'un fournisseur de "
    "technologies ?",
    2: "La Boîte à outils contient-elle des éléments que vous jugez potentiellement problématiques du point "
    "de vue d'un fournisseur de technologies ? Estimez-vous que la Boîte à outils pourrait vous être utile, "
    "en tant que fournisseur de technologies, pour aligner vos travaux sur les besoins et les exigences des "
    "services chargés de l'application de la loi ?",
    3: "L'IA responsable dans le domaine de l'application de la loi est-elle prise en considération au sein "
    "de votre entreprise ou organisation ? Dans l'affirmative, comment est-elle abordée ? La Boîte à outils "
    "est-elle cohérente avec les politiques, les pratiques ou la communication de votre entreprise ou "
    "organisation en matière d'IA responsable ? Votre approche comporte-t-elle des aspects spécifiques qui "
    "ne sont pas pris en compte dans la Boîte à outils ?",
    4: "En tant que fournisseur de technologies, avez-vous déjà reçu des demandes ou des questions de "
    "services chargés de l'application de la loi concernant une utilisation responsable ? Dans "
    "l'affirmative, comment ces demandes ont-elles été traitées ?",
    5: "Comment obtenir le soutien des fournisseurs de technologies à des initiatives telles que la Boîte à "
    "outils ?",
}

RESOURCES = {
    "Introduction to Responsible AI Innovation": (
        "Introduction à l'innovation responsable en matière d'IA",
        "Ce que signifie l'innovation responsable en matière d'IA pour un service chargé de l'application "
        "de la loi, et comment les ressources de la Boîte à outils s'articulent entre elles.",
        [
            "Pourquoi une innovation responsable en matière d'IA",
            "Le cycle de vie de l'IA dans les services chargés de l'application de la loi",
            "Comment utiliser la Boîte à outils",
        ],
    ),
    "Principles for Responsible AI Innovation": (
        "Principes pour une innovation responsable en matière d'IA",
        "Cinq principes fondamentaux et dix-huit principes instrumentaux, issus des droits humains et de "
        "l'éthique policière.",
        [
            "Licéité",
            "Réduction des préjudices",
            "Autonomie humaine",
            "Équité",
            "Bonne gouvernance",
        ],
    ),
    "Organizational Roadmap": (
        "Feuille de route organisationnelle",
        "Les étapes qu'un service peut suivre pour mettre en place les structures, les compétences et les "
        "processus qu'exige une IA responsable.",
        [
            "Direction et stratégie",
            "Personnel et compétences",
            "Processus et contrôle",
        ],
    ),
    "Organizational Readiness Assessment Questionnaire": (
        "Questionnaire d'évaluation de la préparation organisationnelle",
        "Une auto-évaluation du degré de préparation d'un service à l'adoption responsable de l'IA.",
        [
            "Comment remplir le questionnaire",
            "Dimensions de la préparation",
            "Interprétation des résultats",
        ],
    ),
    "Risk Assessment Questionnaire": (
        "Questionnaire d'évaluation des risques",
        "Une méthode structurée pour recenser et apprécier les risques d'un système d'IA donné, avant et "
        "pendant son utilisation.",
        [
            "Champ de l'évaluation",
            "Facteurs de risque",
            "Atténuation et réexamen",
        ],
    ),
    "Responsible AI Innovation in Action Workbook": (
        "Cahier d'exercices « L'innovation responsable en matière d'IA en pratique »",
        "Des exercices commentés qui appliquent les principes à des scénarios réalistes d'application de la "
        "loi.",
        [
            "Utilisation du cahier d'exercices",
            "Exercices de mise en situation",
            "Consignation des décisions",
        ],
    ),
    "Technical Reference Book": (
        "Ouvrage de référence technique",
        "Des notions de base sur les techniques d'IA et leurs caractéristiques, à l'intention des lecteurs "
        "non spécialistes des services chargés de l'application de la loi.",
        [
            "Notions fondamentales de l'IA",
            "Applications courantes dans le domaine de l'application de la loi",
            "Questions à poser aux fournisseurs de technologies",
        ],
    ),
}

THEMES = {
    "1": ("Licéité", ""),
    "1.1": ("Légitimité", ""),
    "1.2": ("Nécessité", ""),
    "1.3": ("Proportionnalité", ""),
    "2": ("Réduction des préjudices", ""),
    "2.1": ("Bien-être humain et environnemental", ""),
    "2.2": ("Robustesse et sécurité", ""),
    "2.3": ("Exactitude", ""),
    "2.4": ("Efficacité", ""),
    "3": ("Autonomie humaine", ""),
    "3.1": ("Libre arbitre humain", ""),
    "3.2": ("Contrôle et supervision humains", ""),
    "3.3": ("Respect de la vie privée", ""),
    "3.4": ("Transparence", ""),
    "3.5": ("Explicabilité", ""),
    "4": ("Équité", ""),
    "4.1": ("Égalité et non-discrimination", ""),
    "4.2": ("Diversité et accessibilité", ""),
    "4.3": ("Protection des groupes vulnérables", ""),
    "4.4": ("Contestabilité et recours", ""),
    "5": ("Bonne gouvernance", ""),
    "5.1": ("Responsabilité", ""),
    "5.2": ("Traçabilité et auditabilité", ""),
}
