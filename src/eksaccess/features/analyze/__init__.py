"""Offline analysis of a cluster's access: can-i, who-can (and later audit), from a ClusterState."""
