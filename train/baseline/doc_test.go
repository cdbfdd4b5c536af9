package baseline

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// TestMethodDocs: each exported function's doc comment is its own (starts
// with its name), so `go doc` does not show one method's text under another.
func TestMethodDocs(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "pca.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || !fn.Name.IsExported() {
			continue
		}
		doc := fn.Doc.Text()
		if !strings.HasPrefix(doc, fn.Name.Name+" ") {
			t.Errorf("%s: doc comment %q does not describe it", fn.Name.Name, strings.SplitN(doc, "\n", 2)[0])
		}
	}
}
