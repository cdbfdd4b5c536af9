package sim

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		want   string // substring of the error; "" = valid
	}{
		{"default", func(*Config) {}, ""},
		{"one dataset, overlap ignored", func(c *Config) { c.Datasets = 1; c.GeneOverlap = 0.001 }, ""},
		{"zero datasets", func(c *Config) { c.Datasets = 0 }, "datasets"},
		{"zero cells", func(c *Config) { c.Cells = 0 }, "cells"},
		{"negative genes", func(c *Config) { c.Genes = -1 }, "genes"},
		{"zero modules", func(c *Config) { c.Modules = 0 }, "modules"},
		{"zero cell types", func(c *Config) { c.CellTypes = 0 }, "cell types"},
		{"too few module genes", func(c *Config) { c.Genes = 30; c.Modules = 20 }, "at least 2 per module"},
		{"module genes above 1", func(c *Config) { c.ModuleGenes = 1.5 }, "module genes"},
		{"NaN batch effect", func(c *Config) { c.BatchEffect = math.NaN() }, "not finite"},
		{"negative batch effect", func(c *Config) { c.BatchEffect = -1 }, "batch effect"},
		{"rewire above 1", func(c *Config) { c.Rewire = 1.1 }, "rewire"},
		{"zero overlap", func(c *Config) { c.GeneOverlap = 0 }, "gene overlap"},
		{"tiny overlap", func(c *Config) { c.Genes = 10; c.Modules = 2; c.GeneOverlap = 0.01 }, "no gene shared"},
		{"zero library", func(c *Config) { c.LibSizeMean = 0 }, "library size mean"},
		{"infinite library SD", func(c *Config) { c.LibSizeSD = math.Inf(1) }, "not finite"},
		{"negative dispersion", func(c *Config) { c.Dispersion = -0.1 }, "dispersion"},
		{"huge dispersion", func(c *Config) { c.Dispersion = 50 }, "dispersion"},
		{"Poisson", func(c *Config) { c.Dispersion = 0 }, ""},
		{"spatial and second species", func(c *Config) { c.Spatial, c.OtherSpecies = 1, 1 }, ""},
		{"every dataset spatial", func(c *Config) { c.Spatial = 3 }, "together below datasets"},
		{"negative other species", func(c *Config) { c.OtherSpecies = -1 }, "other species"},
		{"every ortholog lost", func(c *Config) { c.OrthologLoss = 1 }, "ortholog loss"},
		{"no batch effect, no rewiring", func(c *Config) { c.BatchEffect = 0; c.Rewire = 0 }, ""},
		{"drop every type", func(c *Config) { c.DropDatasetTypes = c.CellTypes }, "drop dataset types"},
		{"negative program noise", func(c *Config) { c.ProgramNoise = -1 }, "program noise"},
		{"negative program strength", func(c *Config) { c.ProgramStrength = -1 }, "program strength"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.modify(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want ErrInvalidConfig mentioning %q", err, tc.want)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := DefaultConfig()
	c.Cells = 0
	c.Rewire = -1
	c.Dispersion = math.NaN()
	err := c.Validate()
	if n := len(strings.Split(err.Error(), "\n")); n != 3 {
		t.Fatalf("Validate() reported %d problems, want 3: %v", n, err)
	}
}
