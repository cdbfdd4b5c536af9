package store

import (
	"fmt"

	"genestore/store/ingest"
)

// HomeSpecies returns the store's home species: the species whose genes
// are joined by symbol and to which other species' genes are joined through
// ortholog tables. It is "" until a dataset names a species; datasets
// ingested without --species are taken to be of the home species.
func (tx *Tx) HomeSpecies() (string, error) {
	m, err := tx.bucket(bMeta)
	if err != nil {
		return "", err
	}
	return string(m.Get(kHome)), nil
}

// speciesPlan is how a new dataset's species meets the store.
type speciesPlan struct {
	species string // the dataset's species as recorded ("" = home)
	home    string // the home species after the dataset is added
	setHome bool   // the dataset sets the home species
	join    geneJoin
	desc    string // DatasetInfo.GeneJoin, without the joined count
}

// planSpecies resolves opts.Species and opts.Orthologs against the home
// species as of tx's snapshot, and checks an ortholog table against the
// dataset's genes (a species mismatch is an error).
//
// Rules: no species → the home species. The first species named becomes
// the home species, unless its ortholog table joins it to another species,
// which then becomes home. A species other than home keeps its genes apart
// unless an ortholog table from it to home is given. An ortholog table for
// a home-species dataset, or one joining other species than the dataset's
// and home, is an error.
func (tx *Tx) planSpecies(opts AddOptions, genes []ingest.Gene) (speciesPlan, error) {
	home, err := tx.HomeSpecies()
	if err != nil {
		return speciesPlan{}, err
	}
	p := speciesPlan{home: home}
	sp := opts.Species
	if sp != "" {
		if sp, err = ingest.CheckSpecies(sp); err != nil {
			return p, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	o := opts.Orthologs
	if o != nil && sp == "" {
		return p, fmt.Errorf("%w: an ortholog table needs the dataset's species (--species)", ErrInvalid)
	}
	if o != nil && o.From != sp {
		return p, fmt.Errorf("%w: the ortholog table joins %s genes, the dataset is %s", ErrInvalid, o.From, sp)
	}
	if home == "" && sp != "" {
		p.home, p.setHome = sp, true
		if o != nil && o.To != "" && o.To != sp {
			p.home = o.To
		}
	}
	p.species = sp
	if sp == "" || sp == p.home {
		if o != nil {
			return p, fmt.Errorf("%w: %s is the store's home species; its genes are joined by symbol, not through an ortholog table", ErrInvalid, sp)
		}
		return p, nil
	}
	p.join.species = sp
	switch {
	case o == nil:
		p.desc = "species-private"
	case o.To != "" && o.To != p.home:
		return p, fmt.Errorf("%w: the ortholog table joins %s to %s, the store's home species is %s", ErrInvalid, o.From, o.To, p.home)
	case o.SymbolCase:
		p.join.orth = o
		p.desc = "symbol-case"
	default:
		if err := o.Check(genes); err != nil {
			return p, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		p.join.orth = o
		p.desc = fmt.Sprintf("orthologs %s (sha256 %.12s, %d one-to-one pairs", o.Source, o.SHA256, len(o.Pairs))
		if o.Skipped > 0 {
			p.desc += fmt.Sprintf(", %d groups not one-to-one skipped", o.Skipped)
		}
		p.desc += ")"
	}
	return p, nil
}

// describeJoin is DatasetInfo.GeneJoin for a plan and the joined count.
func (p speciesPlan) describeJoin(joined int) string {
	if p.join.orth == nil {
		return p.desc
	}
	return fmt.Sprintf("%s: %d genes joined to %s genes already stored", p.desc, joined, p.home)
}

// HomeSpecies is Tx.HomeSpecies in its own read transaction.
func (db *DB) HomeSpecies() (home string, err error) {
	err = db.View(func(tx *Tx) error { home, err = tx.HomeSpecies(); return err })
	return home, err
}

// SpeciesOf is the species a dataset record stands for: its own, or the
// home species when it named none ("" when the store has no home species).
func SpeciesOf(d DatasetInfo, home string) string {
	if d.Species != "" {
		return d.Species
	}
	return home
}
