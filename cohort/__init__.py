"""The supervisors' cohort view: staging snapshots per episode, the cohort page and its export."""
