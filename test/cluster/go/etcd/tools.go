//go:build tools

// Package tools pins the etcd server so `go mod tidy` keeps its dependencies in go.sum.
// etcd's own go.mod has local replace directives, so `go install` of it fails; requiring it
// from this wrapper module builds fine.
package tools

import _ "go.etcd.io/etcd/server/v3"
