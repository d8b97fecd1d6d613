//go:build tools

// Package tools pins kwok (simulated nodes and kubelet) so `go mod tidy` keeps its dependencies.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
