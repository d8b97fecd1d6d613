//go:build tools

// Package tools pins kube-network-policies (the NetworkPolicy engine on the real node, ADR 15)
// so `go mod tidy` keeps its dependencies.
package tools

import _ "sigs.k8s.io/kube-network-policies/cmd"
