package command

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/scigolib/hdf5"
	"github.com/spf13/cobra"

	"genestore/internal/atomicfile"
	"genestore/pipeline"
	"genestore/query"
	"genestore/store"
	"genestore/store/ingest"
	"genestore/vocab"
)

// exprKinds are the models of train/expr in the order the verbs print them.
var exprKinds = []string{"chosen", "mlp", "ridge", "knn", "lstsq"}

type trainExprOptions struct {
	expr      pipeline.ExprOptions
	landmarks string // FILE or "auto"
	targets   string // FILE or "all"
	asJSON    bool
}

func (o *trainExprOptions) resolve() error {
	if o.landmarks != "" && o.landmarks != "auto" {
		lm, err := ingest.ReadSymbols(o.landmarks)
		if err != nil {
			return err
		}
		o.expr.Landmarks = lm
	}
	if o.targets != "" && o.targets != "all" && o.targets != "cells" {
		tg, err := ingest.ReadSymbols(o.targets)
		if err != nil {
			return err
		}
		o.expr.Targets = tg
	}
	return nil
}

func newTrainExprCommand(g *globalOptions) *cobra.Command {
	o := &trainExprOptions{expr: pipeline.DefaultExprOptions(), landmarks: "auto", targets: "all"}
	cmd := &cobra.Command{
		Use:     "expr --landmarks FILE|auto [--datasets a,b] [--targets FILE|all|cells] [--hidden 3000[,3000]] [--dropout 0.1] [--seed S]",
		Short:   "Train the expression-prediction model (D-GEX) from landmark to target genes",
		PreRunE: positive("auto-landmarks", "epochs"),
		Long: `train expr learns to predict target genes from landmark genes across the chosen
datasets (D-GEX, Chen et al. 2016). Each dataset is log-normalised (counts
scaled to 10,000 per cell, then log1p) and centred on its own means, so batch
offsets do not swamp the models. Four models are fitted in the same run and
compared on a validation split (20% of the cells, whole batches when the
datasets have a batch key): the D-GEX MLP (tanh hidden layers, --hidden,
--dropout, early stopping), ridge regression with a cross-validated penalty per
gene, k-nearest neighbours over landmark principal components, and plain least
squares (the paper's baseline). The predictor kept is the best convex blend of
MLP, ridge and kNN, one for all genes or one per gene, whichever generalises.

--landmarks FILE reads one symbol a line (the first field of a TSV, e.g.
../shared/data/landmarks/l1000_landmarks.tsv); symbols not measured in every
dataset are listed and skipped, and fewer than 10 left is refused with the
count. --landmarks auto picks --auto-landmarks genes (default 1,000) by greedy
coverage of the gene–gene correlation matrix and stores the list. --targets
FILE names the genes to predict; all (the default) takes every other gene
measured in every dataset, the --max-targets most variable; cells takes the
cell model's genes (train cells first), so that append and annotate cells
--fill-missing predict can fill every one of them a dataset lacks.

The weights are stored as blob model/expr with a model record holding the
landmarks and every model's validation MAE; both commit in one transaction that
checks no dataset changed meanwhile: an interrupted run changes nothing. --json
prints {"model_version", "datasets", "cells", "landmarks", "auto_landmarks",
"skipped_landmarks", "skipped_targets", "targets", "validation": {"rows",
"mean_mae": {MODEL: MAE}, "blend": {MODEL|"ensemble": genes}, "per_gene_blend",
"knn_k", "mlp_epochs", "mlp_best_epoch"}}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.expr.MaxTargets == 0 {
				return fmt.Errorf("--max-targets 0: want at least 1, or negative for no cap")
			}
			if err := o.resolve(); err != nil {
				return err
			}
			db, err := openStore(g, false)
			if err != nil {
				return err
			}
			defer db.Close()
			if o.targets == "cells" {
				if o.expr.Targets, err = pipeline.CellModelGenes(db); err != nil {
					return err
				}
			}
			res, err := pipeline.TrainExpr(cmd.Context(), db, o.expr, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if o.asJSON {
				return writeJSON(w, res)
			}
			how := "from the file"
			if res.AutoLandmarks {
				how = "chosen from the data"
			}
			fmt.Fprintf(w, "expression model %s: %d landmarks (%s", res.ModelVersion, len(res.Landmarks), how)
			if n := len(res.SkippedLandmarks); n > 0 {
				fmt.Fprintf(w, "; %d not measured in every dataset, skipped", n)
			}
			fmt.Fprintf(w, ") → %d targets, %d cells from %s\n", res.Targets, res.Cells, strings.Join(res.Datasets, ","))
			v := res.Validation
			fmt.Fprintf(w, "validation MAE (%d cells):", v.Rows)
			for _, k := range exprKinds {
				if m, ok := v.MeanMAE[k]; ok {
					fmt.Fprintf(w, " %s %.4f", k, m)
				}
			}
			fmt.Fprintf(w, "\nblend (%s): %s\n", map[bool]string{true: "per gene", false: "one for all genes"}[v.PerGene], blendSummary(v.Blend))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.landmarks, "landmarks", o.landmarks, "landmark genes: a file of symbols, or auto")
	f.StringVar(&o.targets, "targets", o.targets, "target genes: a file of symbols, all, or cells (the cell model's genes)")
	f.StringSliceVar(&o.expr.Datasets, "datasets", nil, "datasets to train on (default: all)")
	f.IntVar(&o.expr.AutoLandmarks, "auto-landmarks", o.expr.AutoLandmarks, "landmarks --landmarks auto picks")
	f.IntVar(&o.expr.MaxTargets, "max-targets", o.expr.MaxTargets, "most variable targets --targets all keeps (negative: no cap; 0 is refused)")
	f.IntSliceVar(&o.expr.Model.Hidden, "hidden", []int{3000}, "MLP hidden layer widths (1 to 3 layers)")
	f.Float64Var(&o.expr.Model.Dropout, "dropout", 0.1, "dropout after each hidden layer (negative: none)")
	f.IntVar(&o.expr.Model.Epochs, "epochs", 200, "maximum MLP epochs (early stopping on the validation split)")
	f.BoolVar(&o.expr.Model.NoMLP, "no-mlp", false, "skip the MLP (ridge, kNN and least squares only)")
	f.Uint64Var(&o.expr.Model.Seed, "seed", o.expr.Model.Seed, "random seed")
	f.BoolVar(&o.asJSON, "json", false, "print JSON")
	return cmd
}

func blendSummary(b map[string]int) string {
	var parts []string
	for _, k := range []string{"mlp", "ridge", "knn", "lstsq", "ensemble"} {
		if n := b[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d genes", k, n))
		}
	}
	return strings.Join(parts, ", ")
}

func newPredictCommand(g *globalOptions) *cobra.Command {
	var (
		o      pipeline.PredictOptions
		all    bool
		out    string
		format string
		force  bool
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "predict --dataset D [--genes G1,G2|--all] [--out FILE --format tsv|h5ad [--force]]",
		Short: "Predict target-gene expression for every cell of a dataset and store it as a layer",
		Long: `predict runs the stored expression model (train expr) on every cell of --dataset
and stores the predicted log-expression of its target genes (--genes, or --all,
the default) as the dataset's derived layer "predicted" (value type predicted),
with provenance: the model version, the landmarks present and how many were
missing. Landmarks the dataset lacks are filled from the others first and
counted. A dataset with fewer than 10 of the landmarks, of another value type
than the model's training data, or whose gene symbols are spelled like another
species (Cd3e against CD3E) is refused; a refused run changes nothing. The
layer is written in one transaction, replacing the previous one.

Query it with expr --gene G --dataset D. --out FILE also writes the layer:
tsv (barcode, then one column per gene, a header row) or h5ad (X cells ×
genes, obs index barcodes with the cell's row number, var index symbols),
through a temporary file in the same folder, synced and renamed; an existing
FILE is refused (before anything is predicted) unless --force.
--json prints {"layer", "dataset", "model_version", "genes", "cells",
"landmarks", "landmarks_present", "missing_landmarks", "query_means"}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if all && len(o.Genes) > 0 {
				return fmt.Errorf("predict: --genes and --all exclude each other")
			}
			if out != "" && format != "tsv" && format != "h5ad" {
				return fmt.Errorf("predict: format %q: want tsv or h5ad", format)
			}
			if out != "" {
				if err := refuseExisting("predict", out, force); err != nil {
					return err
				}
			}
			db, err := openStore(g, false)
			if err != nil {
				return err
			}
			defer db.Close()
			res, err := pipeline.Predict(cmd.Context(), db, o, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if out != "" {
				if err := exportLayer(db, res.Layer, out, format); err != nil {
					return err
				}
			}
			w := cmd.OutOrStdout()
			if asJSON {
				if res.MissingLandmarks == nil {
					res.MissingLandmarks = []string{}
				}
				return writeJSON(w, res)
			}
			_, err = fmt.Fprintf(w, "layer %q of dataset %q: %d genes × %d cells predicted by %s; %d of %d landmarks present, %d missing (filled)\n",
				res.Layer.Name, res.Dataset, res.Genes, res.Cells, res.ModelVersion, res.LandmarksPresent, res.Landmarks, len(res.MissingLandmarks))
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Dataset, "dataset", "", "dataset to predict for")
	f.StringSliceVar(&o.Genes, "genes", nil, "target genes to predict (default: all)")
	f.BoolVar(&all, "all", false, "every target gene of the model (the default)")
	f.StringVar(&o.Layer, "layer", vocab.LayerPredicted, "layer name")
	f.StringVar(&out, "out", "", "also write the layer to this file")
	f.StringVar(&format, "format", "tsv", "file format: tsv or h5ad")
	f.BoolVar(&force, "force", false, "replace an existing --out file")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("dataset")
	return cmd
}

// layerTable is a layer read whole: cells × genes, row-major.
type layerTable struct {
	barcodes, symbols []string
	x                 []float32
}

func readLayer(db *store.DB, l store.Layer) (*layerTable, error) {
	t := &layerTable{x: make([]float32, l.Cells*len(l.Genes))}
	err := db.View(func(tx *store.Tx) error {
		var err error
		if t.barcodes, err = tx.Barcodes(l.Dataset); err != nil {
			return err
		}
		for _, g := range l.Genes {
			gi, err := tx.Gene(g)
			if err != nil {
				return err
			}
			t.symbols = append(t.symbols, gi.Symbol)
		}
		G := len(l.Genes)
		for first := 0; first < l.Cells; first += store.LayerChunkCells {
			v, err := tx.LayerChunk(l.Dataset, l.Name, first)
			if err != nil {
				return err
			}
			n := len(v) / G
			for j := range G {
				for c := range n {
					t.x[(first+c)*G+j] = v[j*n+c]
				}
			}
		}
		return nil
	})
	return t, err
}

// exportLayer writes layer l to path as tsv or h5ad, through a temporary
// file beside it, synced and renamed when complete (atomicfile.Write).
func exportLayer(db *store.DB, l store.Layer, path, format string) error {
	t, err := readLayer(db, l)
	if err != nil {
		return err
	}
	err = atomicfile.Write(path, func(f *os.File) error {
		if format != "h5ad" {
			return writeLayerTSV(f, t)
		}
		// the HDF5 writer opens the file by name: let it rewrite the
		// temporary one, then hand atomicfile the result to sync and rename
		if err := writeLayerH5AD(f.Name(), t); err != nil {
			return err
		}
		g, err := os.Open(f.Name())
		if err != nil {
			return err
		}
		defer g.Close()
		return g.Sync()
	})
	if err != nil {
		return fmt.Errorf("predict --out %s: %w", path, err)
	}
	return nil
}

func writeLayerTSV(w io.Writer, t *layerTable) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("barcode")
	for _, s := range t.symbols {
		bw.WriteString("\t" + s)
	}
	bw.WriteString("\n")
	G := len(t.symbols)
	var num []byte
	for c, b := range t.barcodes {
		bw.WriteString(b)
		for _, v := range t.x[c*G : (c+1)*G] {
			num = strconv.AppendFloat(append(num[:0], '\t'), float64(v), 'g', -1, 32)
			bw.Write(num)
		}
		bw.WriteString("\n")
	}
	return bw.Flush()
}

func rowNumbers(n int) []int32 {
	r := make([]int32, n)
	for i := range r {
		r[i] = int32(i)
	}
	return r
}

// writeLayerH5AD writes t to path as AnnData (≥ 0.8 layout): dense float32
// X (cells × genes), obs index = barcodes with one column "row" (the cell's
// row in the dataset), var index = gene symbols.
func writeLayerH5AD(path string, t *layerTable) (err error) {
	fw, err := hdf5.CreateForWrite(path, hdf5.CreateTruncate)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := fw.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	n, G := uint64(len(t.barcodes)), uint64(len(t.symbols))
	group := func(p string, attrs ...any) error {
		g, err := fw.CreateGroup(p)
		if err != nil {
			return fmt.Errorf("group %s: %w", p, err)
		}
		for i := 0; i+1 < len(attrs); i += 2 {
			if err := g.WriteAttribute(attrs[i].(string), attrs[i+1]); err != nil {
				return fmt.Errorf("%s attribute %v: %w", p, attrs[i], err)
			}
		}
		return nil
	}
	dataset := func(p string, dt hdf5.Datatype, data any, shape []uint64, attrs ...any) error {
		d, err := fw.CreateDataset(p, dt, shape)
		if err != nil {
			return fmt.Errorf("dataset %s: %w", p, err)
		}
		if err := d.Write(data); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		for i := 0; i+1 < len(attrs); i += 2 {
			if err := d.WriteAttribute(attrs[i].(string), attrs[i+1]); err != nil {
				return fmt.Errorf("%s attribute %v: %w", p, attrs[i], err)
			}
		}
		return nil
	}
	steps := []func() error{
		func() error {
			return dataset("/X", hdf5.Float32, t.x, []uint64{n, G}, "encoding-type", "array", "encoding-version", "0.2.0")
		},
		func() error {
			return group("/obs", "_index", "_index", "column-order", []string{"row"}, "encoding-type", "dataframe", "encoding-version", "0.2.0")
		},
		func() error { return dataset("/obs/_index", hdf5.VLenString, t.barcodes, []uint64{n}) },
		func() error {
			return dataset("/obs/row", hdf5.Int32, rowNumbers(len(t.barcodes)), []uint64{n}, "encoding-type", "array", "encoding-version", "0.2.0")
		},
		func() error {
			return group("/var", "_index", "_index", "encoding-type", "dataframe", "encoding-version", "0.2.0")
		},
		func() error { return dataset("/var/_index", hdf5.VLenString, t.symbols, []uint64{G}) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func newExprCommand(g *globalOptions) *cobra.Command {
	var (
		gene, dataset, layer string
		asJSON, summary      bool
	)
	cmd := &cobra.Command{
		Use:   "expr --gene G --dataset D [--json]",
		Short: "Predicted expression of a gene in every cell of a dataset",
		Long: `expr prints a gene's values in the "predicted" layer of a dataset (written by
predict): a summary line (cells, mean, sd, min, median, max, the model and
whether it is still the stored one) and then barcode\tvalue per cell
(--summary: the summary only). The symbol is matched ignoring case. --json
prints {"dataset", "gene", "gene_id", "layer", "model", "stale", "cells",
"mean", "sd", "min", "median", "max", "landmarks_present", "landmarks_missing",
"barcodes", "values"}, as GET /v1/genes/{symbol}/predicted?dataset=D does;
with --summary, without "barcodes" and "values".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			e, _, db, err := openEngine(g, true, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer db.Close()
			pg, err := e.PredictedExpr(cmd.Context(), dataset, gene, layer)
			if err != nil {
				return err
			}
			w := bufio.NewWriter(cmd.OutOrStdout())
			defer func() { // a failed write shows only here: do not exit 0
				if ferr := w.Flush(); err == nil {
					err = ferr
				}
			}()
			if asJSON && summary {
				return writeJSON(w, exprSummaryJSON{PredictedExpr: pg})
			}
			if asJSON {
				return writeJSON(w, pg)
			}
			stale := ""
			if pg.Stale {
				stale = " (stale: the stored model has changed since)"
			}
			fmt.Fprintf(w, "%s in %q (layer %s, model %s%s): %d cells, mean %.4f, sd %.4f, min %.4f, median %.4f, max %.4f; %d landmarks present, %d missing\n",
				pg.Gene, pg.Dataset, pg.Layer, pg.Model, stale, pg.Cells, pg.Mean, pg.SD, pg.Min, pg.Median, pg.Max,
				pg.LandmarksPresent, pg.LandmarksMissing)
			if summary {
				return nil
			}
			for i, v := range pg.Values {
				fmt.Fprintf(w, "%s\t%.4f\n", pg.Barcodes[i], v)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&gene, "gene", "", "gene symbol")
	f.StringVar(&dataset, "dataset", "", "dataset")
	f.StringVar(&layer, "layer", vocab.LayerPredicted, "layer name")
	f.BoolVar(&summary, "summary", false, "print the summary line only")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("gene")
	_ = cmd.MarkFlagRequired("dataset")
	return cmd
}

// exprSummaryJSON is expr --summary --json: the answer without its
// per-cell arrays. The nil fields shadow the embedded ones of the same JSON
// name and are omitted.
type exprSummaryJSON struct {
	*query.PredictedExpr
	Barcodes []string  `json:"barcodes,omitempty"`
	Values   []float32 `json:"values,omitempty"`
}

func newEvalExprCommand(g *globalOptions) *cobra.Command {
	o := pipeline.EvalExprOptions{Train: pipeline.DefaultExprOptions(), UseStored: true, Holdout: 0.2}
	var (
		asJSON    bool
		landmarks = "auto"
	)
	cmd := &cobra.Command{
		Use:   "expr [--holdout 0.2] [--json]",
		Short: "Score expression prediction on held-out cells: MLP, ridge-CV, kNN, least squares",
		Long: `eval expr holds out --holdout of each dataset's cells (seeded), fits the
expression model on the rest with the stored model's landmarks, datasets and
hyper-parameters (or, without a stored model, --landmarks and the defaults),
and scores on the held-out cells, per target gene, the MAE (log units) and
Pearson r of the chosen blend, the MLP, ridge-CV, kNN and plain least squares
side by side: their means and the share of genes where each beats least
squares (linear regression). Each dataset's held-out cells get their own means
added back, so the figures measure variation around those means. It writes
nothing.

--json prints {"holdout", "train_cells", "held_cells", "landmarks", "targets",
"models": {MODEL: {"mean_mae", "mean_r", "beats_linear"}}, "genes": [{"gene",
"mae": {MODEL: v}, "r": {MODEL: v}}]}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if landmarks != "auto" {
				lm, err := ingest.ReadSymbols(landmarks)
				if err != nil {
					return err
				}
				o.Train.Landmarks = lm
			}
			db, err := openStore(g, true)
			if err != nil {
				return err
			}
			defer db.Close()
			ev, err := pipeline.EvalExpr(cmd.Context(), db, o, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(w, ev)
			}
			fmt.Fprintf(w, "%d landmarks → %d targets; trained on %d cells, scored on %d held-out cells (%.0f%%)\n",
				ev.Landmarks, ev.Targets, ev.TrainCells, ev.HeldCells, 100*ev.Holdout)
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "MODEL\tMEAN MAE\tMEAN R\tBEATS LINEAR")
			for _, k := range exprKinds {
				if s, ok := ev.Models[k]; ok {
					fmt.Fprintf(tw, "%s\t%.4f\t%.3f\t%.1f%%\n", k, s.MeanMAE, s.MeanR, 100*s.BeatsLinear)
				}
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.Float64Var(&o.Holdout, "holdout", o.Holdout, "share of each dataset's cells held out")
	f.StringSliceVar(&o.Train.Datasets, "datasets", nil, "datasets (default: the stored model's, else all)")
	f.StringVar(&landmarks, "landmarks", landmarks, "landmarks when no model is stored: a file of symbols, or auto")
	f.IntVar(&o.Train.AutoLandmarks, "auto-landmarks", o.Train.AutoLandmarks, "landmarks auto picks")
	f.IntVar(&o.Train.Model.Epochs, "epochs", 200, "maximum MLP epochs")
	f.Uint64Var(&o.Train.Model.Seed, "seed", o.Train.Model.Seed, "random seed of the split and, without a stored model, of training")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
