"""The autonomous loop: worker, ledger, stake policy, notifications."""
