package app_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// edgeText is text that belongs to an edge, not to the core or its
// adapters: a dvmm command line, a flag or an environment variable.
var edgeText = regexp.MustCompile(`\bdvmm (tenant|request|vmware|vm|queue|serve|admin|demo|sim|doctor|version|completion|docs)\b|(^|[\s'"(,])--[a-z]|\bDVMM_[A-Z]`)

// TestNoEdgeTextInTheCore keeps advice at the edges: errors from app,
// store and vsphere carry a kind, a code and neutral text, and the CLI
// (or, later, the HTTP API) adds what a person should do. Comments may
// mention commands; string literals may not.
func TestNoEdgeTextInTheCore(t *testing.T) {
	for _, root := range []string{".", "../store", "../vsphere"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			if strings.Contains(filepath.ToSlash(path), "/pgtest/") {
				return nil // test support that runs PostgreSQL's own programs with their flags
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					s = lit.Value
				}
				if edgeText.MatchString(s) {
					t.Errorf("%s: edge text in %s", fset.Position(lit.Pos()), lit.Value)
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestEdgeTextPattern(t *testing.T) {
	for s, want := range map[string]bool{
		"run 'dvmm vmware set' again":           true,
		"use --tenant or set DVMM_TENANT":       true,
		"give --ca-file or a thumbprint":        true,
		"(--insecure)":                          true,
		"Made by dvmm for request %s":           false,
		"not a dvmm database":                   false,
		"vCenter 10.0.0.1 is unreachable":       false,
		"2025-01-02 -- a dash pair, not a flag": false,
		"dvmm vCenter simulator":                false,
	} {
		if got := edgeText.MatchString(s); got != want {
			t.Errorf("%q: edge text %v, want %v", s, got, want)
		}
	}
}
