// Package deploy holds OpenGate's deployment files — the Dockerfile,
// compose.yaml (with postgres/init.sql) and the Kubernetes kustomize base
// under k8s — and the test that keeps them true to the binaries: every
// environment variable they set is one the binary reads, every variable the
// binary cannot run without (and every peer URL, whose localhost default is
// wrong in a container) is set, and the ports and probe paths are the
// binaries' own. The package has no code; see docs/deployment.md.
package deploy
