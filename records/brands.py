"""Brand names of the catalogued antidepressants and augmenting agents, mapped to the generic.

Proprietary names as listed in the British National Formulary (UK, bnf.nice.org.uk, medicinal
forms) and in the FDA's Drugs@FDA / Orange Book (US). Only names the compiler was sure of are
listed; agents without a UK or US brand (pirlindole, tianeptine, opipramol) have none here.
A brand resolves to the catalogue's generic, so its minimum dose applies; a pharmacist should
confirm additions. A release suffix (Effexor XR, Seroquel XL) is handled by the catalogue.
"""

# brand (lower case) -> generic name as the catalogue (staging/catalogue.py) spells it
BRANDS: dict[str, str] = {
    # SSRIs
    "prozac": "fluoxetine",
    "sarafem": "fluoxetine",
    "zoloft": "sertraline",
    "lustral": "sertraline",
    "paxil": "paroxetine",
    "seroxat": "paroxetine",
    "celexa": "citalopram",
    "cipramil": "citalopram",
    "lexapro": "escitalopram",
    "cipralex": "escitalopram",
    "luvox": "fluvoxamine",
    "faverin": "fluvoxamine",
    # SNRIs
    "effexor": "venlafaxine",
    "efexor": "venlafaxine",
    "pristiq": "desvenlafaxine",
    "cymbalta": "duloxetine",
    "fetzima": "levomilnacipran",
    "savella": "milnacipran",
    # Others
    "wellbutrin": "bupropion",
    "zyban": "bupropion",
    "remeron": "mirtazapine",
    "zispin": "mirtazapine",
    "desyrel": "trazodone",
    "molipaxin": "trazodone",
    "serzone": "nefazodone",
    "viibryd": "vilazodone",
    "trintellix": "vortioxetine",
    "brintellix": "vortioxetine",
    "valdoxan": "agomelatine",
    "edronax": "reboxetine",
    # Tricyclics and related
    "elavil": "amitriptyline",
    "pamelor": "nortriptyline",
    "aventyl": "nortriptyline",
    "allegron": "nortriptyline",
    "tofranil": "imipramine",
    "norpramin": "desipramine",
    "anafranil": "clomipramine",
    "sinequan": "doxepin",
    "asendin": "amoxapine",
    "ludiomil": "maprotiline",
    "surmontil": "trimipramine",
    "vivactil": "protriptyline",
    # MAOIs and RIMA
    "nardil": "phenelzine",
    "parnate": "tranylcypromine",
    "marplan": "isocarboxazid",
    "emsam": "selegiline transdermal",
    "manerix": "moclobemide",
    # Augmenting agents
    "priadel": "lithium",
    "camcolit": "lithium",
    "lithobid": "lithium",
    "cytomel": "liothyronine",
    "abilify": "aripiprazole",
    "rexulti": "brexpiprazole",
    "vraylar": "cariprazine",
    "reagila": "cariprazine",
    "seroquel": "quetiapine",
    "zyprexa": "olanzapine",
}


def generic_for_brand(name: str) -> str | None:
    """Return the generic a typed brand name means (any case, a release suffix kept), or None."""
    typed = " ".join(name.lower().split())
    generic = BRANDS.get(typed)
    if generic is not None:
        return generic
    brand, _, suffix = typed.rpartition(" ")
    generic = BRANDS.get(brand)
    return None if generic is None else f"{generic} {suffix}"
