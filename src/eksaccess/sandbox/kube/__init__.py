"""The Kubernetes API server side of the sandbox: one WSGI app per cluster (app.make_kube_app)."""
