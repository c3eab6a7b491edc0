"""The aws-auth ConfigMap: how the authenticator reads it, edits that keep every byte else, lint and repair."""
