// Package deploytest checks the files in deploy/ as the tools that use them
// read them: the Compose files through docker-compose, the systemd unit
// through systemd-analyze, the Helm chart through Helm's own Go packages,
// the Dockerfile's build line by building with it. It is a module of its own
// so that Sesame's module does not depend on Helm and Kubernetes; `make
// test-deploy` (part of `make test`) runs it.
package deploytest
