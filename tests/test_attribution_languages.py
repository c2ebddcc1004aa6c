"""Reported speech in Spanish, French and Arabic gives speakers (issue 20).
Every sentence here was written for these tests."""

from __future__ import annotations

import pytest

from claims.extraction.attribution import Speaker, attribute


def person(name: str, description: str = "") -> Speaker:
    return Speaker(name, "person", description)


def org(name: str) -> Speaker:
    return Speaker(name, "organization", "")


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("La inflación bajará al 3 % este año, dijo Pedro Sánchez.", person("Pedro Sánchez")),
        ("Pedro Sánchez dijo que el paro cayó un 5 % en 2023.", person("Pedro Sánchez")),
        ("Según el Ministerio de Economía, el paro cayó un 5 %.", org("Ministerio de Economía")),
        ("La ministra Teresa Ribera afirmó que las emisiones bajaron un 8 %.", person("Teresa Ribera", "ministra")),
        (
            "El portavoz del Gobierno, Juan Pérez, aseguró que no habrá recortes.",
            person("Juan Pérez", "portavoz del Gobierno"),
        ),
        ("El Banco de España declaró que la deuda supera el 100 % del PIB.", org("Banco de España")),
        ("Los precios subieron un 3 % en marzo.", None),
    ],
)
def test_spanish_reported_speech(sentence, expected):
    assert attribute([sentence])[0] == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Le chômage a baissé de 2 %, a déclaré Emmanuel Macron.", person("Emmanuel Macron")),
        ("Emmanuel Macron a déclaré que le chômage avait baissé.", person("Emmanuel Macron")),
        ("Selon l'Insee, les prix ont augmenté de 5 % en un an.", org("Insee")),
        (
            "La ministre Agnès Martin a affirmé que le budget serait tenu.",
            person("Agnès Martin", "ministre"),
        ),
        ("Selon Bruno Le Maire, la dette atteindra 110 % du PIB.", person("Bruno Le Maire")),
        ("Les prix ont augmenté de 4 % en mars.", None),
    ],
)
def test_french_reported_speech(sentence, expected):
    assert attribute([sentence])[0] == expected


def test_french_pronoun_inversion_points_back():
    result = attribute(["La ministre Agnès Martin est arrivée à Lyon.", "« Nous ne céderons pas », a-t-elle déclaré."])
    assert result[1] == person("Agnès Martin", "ministre")


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # said the finance minister Mohammed al-Ali that the deficit reached 4 percent
        ("قال وزير المالية محمد العلي إن العجز بلغ 4 في المئة.", person("محمد العلي", "وزير المالية")),
        # and said the minister … (the conjunction joined to the verb)
        ("وقال وزير الصحة سامي الخطيب إن 300 حالة سجلت.", person("سامي الخطيب", "وزير الصحة")),
        # according to the ministry, prices rose 12 percent
        ("وفقا للوزارة، ارتفعت الأسعار 12 في المئة.", org("الوزارة")),
        ("وفقاً لوزارة الدفاع، أسقطت 20 طائرة مسيرة.", org("وزارة الدفاع")),
        # the police confirmed the arrest of three people
        ("أكدت الشرطة اعتقال ثلاثة أشخاص.", org("الشرطة")),
        # declared the government spokesman Omar Haddad that …
        ("صرح المتحدث باسم الحكومة عمر حداد بأن الخطة ستنجح.", person("عمر حداد", "المتحدث باسم الحكومة")),
        ("ارتفعت الأسعار في مارس بنسبة 5 في المئة.", None),
    ],
)
def test_arabic_reported_speech(sentence, expected):
    assert attribute([sentence])[0] == expected


def test_arabic_bare_verb_and_role_point_back_to_the_person_named_before():
    result = attribute(
        [
            "قال وزير المالية محمد العلي إن العجز بلغ 4 في المئة.",
            "وأضاف أن الحكومة ستخفض الإنفاق بنسبة 10 في المئة.",  # and he added that …
            "صرح الوزير بأن الخطة ستنجح.",  # the minister declared that …
        ]
    )
    assert result == [person("محمد العلي", "وزير المالية")] * 2 + [person("محمد العلي", "الوزير")]


def test_arabic_call_and_accusation_are_a_persons_request_and_accusation():
    request, accusation = attribute(
        [
            "دعا الرئيس عبد الله الحسن إلى وقف إطلاق النار.",  # the president … called for a ceasefire
            "اتهم عبد الله الحسن الجيش بقصف 12 قرية.",  # … accused the army of shelling 12 villages
        ]
    )
    assert request == person("عبد الله الحسن", "الرئيس")
    assert request.act == "request"
    assert accusation == person("عبد الله الحسن", "الرئيس")
    assert accusation.act == "accusation"
