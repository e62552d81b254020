from collections import Counter
from pseudoresistance.selectors import episode_assessment
from tests.integration.pseudoresistance.test_applicable_items import demo_episodes  # noqa: F401


def test_print_gap_table(demo_episodes):
    print()
    for record, episode in sorted(demo_episodes.items()):
        status = episode_assessment(episode).status
        codes = Counter(g.item.code for g in status.data_gaps)
        print(f"GAPS {record}: {len(status.data_gaps):3d} red={len(status.red_concerns)} {dict(codes)} | {status.text}")
