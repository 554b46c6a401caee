"""Spanish text of the demo consultation (seed_demo); terms as in docs/GLOSSARY.md."""

CONSULTATION = {
    "title": "Sesión de consulta a las partes interesadas con proveedores de tecnología",
    "stakeholder_group": "Proveedores de tecnología",
    "summary": "Kit de herramientas para la innovación responsable en inteligencia artificial (IA) en la aplicación "
    "de la ley: aportaciones de los proveedores de tecnología sobre los borradores de recursos.",
    "background": """\
Aunque se trata de una tecnología prometedora, el uso de la inteligencia artificial (IA) por parte de los \
organismos encargados de hacer cumplir la ley puede ser a menudo un tema muy delicado y controvertido. La ausencia \
de orientaciones específicas sobre el uso de la IA en este ámbito ha puesto de relieve la necesidad de avanzar en la \
gobernanza de la IA para los organismos encargados de hacer cumplir la ley.

Con este fin, el Centro de Innovación de INTERPOL y el Centro de Inteligencia Artificial y Robótica del Instituto \
Interregional de las Naciones Unidas para Investigaciones sobre la Delincuencia y la Justicia (UNICRI) se \
propusieron elaborar un Kit de herramientas para la innovación responsable en IA en la aplicación de la ley, con el \
apoyo financiero de la Unión Europea.

El objetivo de la iniciativa es subsanar las carencias en materia de orientación y ayudar a los organismos \
encargados de hacer cumplir la ley de todo el mundo a desarrollar, adquirir y desplegar la IA de manera responsable. \
Para ello, el Kit de herramientas incluirá una serie de recursos prácticos y de orientación operativa que ayuden a \
los organismos encargados de hacer cumplir la ley a observar los principios de la innovación responsable en IA, que \
se derivan de los derechos humanos y de los principios éticos relacionados con la labor policial.

Con miras a promover la apertura y la transparencia en el proceso de elaboración del Kit de herramientas y a \
garantizar que el proyecto cuente con la aceptación de todas las partes interesadas pertinentes y se beneficie de \
sus conocimientos, INTERPOL y el UNICRI están organizando una serie de consultas con representantes de organismos \
encargados de hacer cumplir la ley y con otras partes interesadas importantes de la industria, el ámbito académico, \
el poder judicial y la fiscalía, así como con especialistas en derechos humanos.""",
    "objective": """\
Si bien los organismos encargados de hacer cumplir la ley desempeñan un papel importante para garantizar el uso \
responsable de la IA, en muchos casos la tecnología que utilizan la desarrollan otras entidades. Según una encuesta \
realizada por INTERPOL y el UNICRI en la 3.ª Reunión Mundial sobre IA para la Aplicación de la Ley, en \
aproximadamente el 60 % de los casos, cuando los organismos encargados de hacer cumplir la ley se plantean aplicar \
la IA, optan por adquirir herramientas a proveedores de tecnología en lugar de intentar desarrollar capacidades \
propias.

Habida cuenta del importante papel que desempeñan los proveedores de tecnología para garantizar una IA responsable, \
esta consulta tiene por objeto recabar sus aportaciones sobre las orientaciones que contiene el Kit de \
herramientas. Durante la consulta, INTERPOL y el UNICRI presentarán a grandes rasgos las aspiraciones y los \
objetivos del Kit de herramientas y describirán sus distintos recursos. Esto incluye aspectos como los principios \
que deberían guiar el uso de la tecnología de IA por parte de los organismos encargados de hacer cumplir la ley y \
las consideraciones clave que estos deben tener en cuenta para garantizar la aplicación de dichos principios, que \
pueden influir en las decisiones adoptadas durante los procesos de adquisición. En última instancia, la consulta \
tratará de confirmar con los proveedores de tecnología que lo que se presenta a la comunidad encargada de hacer \
cumplir la ley refleja la perspectiva de quienes desarrollan la tecnología y la suministran a dichos organismos.""",
    "structure": """\
La consulta se estructurará como un debate moderado. En primer lugar, se presentarán a los participantes el Kit de \
herramientas y sus distintos recursos, que se compartirán antes de la reunión para que puedan revisarlos. A \
continuación, los participantes tendrán la oportunidad de formular individualmente observaciones generales y de \
debatir libremente con el equipo del Kit de herramientas y con los demás participantes. Se plantearán una serie de \
preguntas orientativas para enmarcar un debate en grupo.

Esta consulta se limitará a representantes de proveedores de tecnología que suministran tecnologías basadas en IA \
a los organismos encargados de hacer cumplir la ley. Se incluyen tanto los proveedores que desarrollan herramientas \
basadas en IA exclusivamente para uso de estos organismos como los que desarrollan herramientas para organismos \
encargados de hacer cumplir la ley, entre otros clientes.""",
    "expected_outcomes": """\
Se espera que la reunión contribuya a la elaboración del Kit de herramientas de la siguiente manera:
– Recabar conclusiones sobre la mejor manera de reflejar en el Kit de herramientas las perspectivas de los \
proveedores de tecnología.
– Obtener aportaciones especializadas sobre los borradores de recursos del Kit de herramientas.""",
    "window_note": "Esta es una demostración. La reunión en línea tuvo lugar el 3 de noviembre de 2022; para que "
    "pueda probarse la demostración, el plazo de aportaciones por escrito se abre el día en que se cargaron los "
    "datos de demostración y permanece abierto durante cuatro semanas.",
    "confidentiality": "INTERPOL Solo para uso oficial",
}

QUESTIONS = {
    1: "¿Qué opina del Kit de herramientas y de sus recursos desde la perspectiva de un proveedor de tecnología?",
    2: "¿Hay algo en el Kit de herramientas que considere potencialmente problemático desde la perspectiva de un "
    "proveedor de tecnología? ¿Considera que el Kit de herramientas podría serle útil, como proveedor de "
    "tecnología, para adaptar su trabajo a las necesidades y los requisitos de los organismos encargados de hacer "
    "cumplir la ley?",
    3: "¿Se tiene en cuenta la IA responsable en la aplicación de la ley en su empresa u organización? En caso "
    "afirmativo, ¿cómo se aborda? ¿Es coherente el Kit de herramientas con las políticas, las prácticas o los "
    "mensajes de su empresa u organización sobre la IA responsable? ¿Hay algún aspecto particular de su enfoque "
    "que el Kit de herramientas no contemple?",
    4: "Como proveedor de tecnología, ¿ha recibido alguna vez solicitudes o preguntas de organismos encargados de "
    "hacer cumplir la ley relativas al uso responsable? En caso afirmativo, ¿cómo se gestionaron esas solicitudes?",
    5: "¿Cómo puede obtenerse el apoyo de los proveedores de tecnología a iniciativas como el Kit de herramientas?",
}

RESOURCES = {
    "Introduction to Responsible AI Innovation": (
        "Introducción a la innovación responsable en IA",
        "Qué significa la innovación responsable en IA para un organismo encargado de hacer cumplir la ley y cómo "
        "se articulan los recursos del Kit de herramientas.",
        [
            "Por qué una innovación responsable en IA",
            "El ciclo de vida de la IA en los organismos encargados de hacer cumplir la ley",
            "Cómo utilizar el Kit de herramientas",
        ],
    ),
    "Principles for Responsible AI Innovation": (
        "Principios para la innovación responsable en IA",
        "Cinco principios fundamentales y dieciocho principios instrumentales, derivados de los derechos humanos y "
        "de la ética policial.",
        ["Legalidad", "Minimización del daño", "Autonomía humana", "Equidad", "Buena gobernanza"],
    ),
    "Organizational Roadmap": (
        "Hoja de ruta organizativa",
        "Medidas que un organismo puede adoptar para crear las estructuras, las competencias y los procesos que "
        "requiere una IA responsable.",
        ["Liderazgo y estrategia", "Personas y competencias", "Procesos y supervisión"],
    ),
    "Organizational Readiness Assessment Questionnaire": (
        "Cuestionario de evaluación de la preparación organizativa",
        "Una autoevaluación del grado de preparación de un organismo para adoptar la IA de manera responsable.",
        [
            "Cómo completar el cuestionario",
            "Dimensiones de la preparación",
            "Interpretación de los resultados",
        ],
    ),
    "Risk Assessment Questionnaire": (
        "Cuestionario de evaluación de riesgos",
        "Un método estructurado para detectar y ponderar los riesgos de un sistema de IA concreto antes de su uso "
        "y durante este.",
        ["Alcance de la evaluación", "Factores de riesgo", "Mitigación y revisión"],
    ),
    "Responsible AI Innovation in Action Workbook": (
        "Cuaderno de ejercicios: la innovación responsable en IA en la práctica",
        "Ejercicios guiados que aplican los principios a situaciones realistas de los organismos encargados de "
        "hacer cumplir la ley.",
        ["Uso del cuaderno de ejercicios", "Ejercicios basados en situaciones", "Registro de las decisiones"],
    ),
    "Technical Reference Book": (
        "Manual de referencia técnica",
        "Información básica sobre las técnicas de IA y sus características, dirigida a lectores no especializados "
        "de los organismos encargados de hacer cumplir la ley.",
        [
            "Conceptos básicos de la IA",
            "Aplicaciones habituales en la aplicación de la ley",
            "Preguntas que conviene plantear a los proveedores de tecnología",
        ],
    ),
}

THEMES = {
    "1": ("Legalidad", ""),
    "1.1": ("Legitimidad", ""),
    "1.2": ("Necesidad", ""),
    "1.3": ("Proporcionalidad", ""),
    "2": ("Minimización del daño", ""),
    "2.1": ("Bienestar humano y ambiental", ""),
    "2.2": ("Robustez y seguridad", ""),
    "2.3": ("Exactitud", ""),
    "2.4": ("Eficiencia", ""),
    "3": ("Autonomía humana", ""),
    "3.1": ("Capacidad de acción humana", ""),
    "3.2": ("Control y supervisión humanos", ""),
    "3.3": ("Privacidad", ""),
    "3.4": ("Transparencia", ""),
    "3.5": ("Explicabilidad", ""),
    "4": ("Equidad", ""),
    "4.1": ("Igualdad y no discriminación", ""),
    "4.2": ("Diversidad y accesibilidad", ""),
    "4.3": ("Protección de los grupos vulnerables", ""),
    "4.4": ("Posibilidad de impugnación y reparación", ""),
    "5": ("Buena gobernanza", ""),
    "5.1": ("Rendición de cuentas", ""),
    "5.2": ("Trazabilidad y auditabilidad", ""),
}
