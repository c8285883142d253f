"""The id digest on its own: order-independent, set-sensitive, and its two halves add up."""

from riskcast.digest import MASK_64, combine, id_term_halves, ids_digest


def test_the_digest_ignores_order():
    ids = [f"sig_{i:032x}" for i in range(50)]
    assert ids_digest(ids) == ids_digest(sorted(ids, reverse=True))


def test_the_digest_changes_when_an_id_is_added_removed_or_replaced():
    ids = [f"sig_{i:032x}" for i in range(50)]
    base = ids_digest(ids)
    assert base != ids_digest(ids[1:])
    assert base != ids_digest([*ids, "sig_extra"])
    assert base != ids_digest(["sig_other", *ids[1:]])


def test_the_sum_of_halves_is_the_64_bit_sum_of_terms():
    ids = [f"sig_{i}" for i in range(1000)]
    terms = [(hi << 32) + lo for hi, lo in map(id_term_halves, ids)]
    hi_sum = sum(hi for hi, _ in map(id_term_halves, ids))
    lo_sum = sum(lo for _, lo in map(id_term_halves, ids))
    assert int(combine(hi_sum, lo_sum), 16) == sum(terms) & MASK_64
