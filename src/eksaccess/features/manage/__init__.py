"""Manage access safely: list, grant, revoke, export, plan/apply, migrate, history and rollback.

One model over access entries and the aws-auth ConfigMap; every change is a plan of typed steps that
is simulated on a ClusterState, checked by the lock-out guard, applied idempotently, recorded locally
and verified on the live cluster.
"""
