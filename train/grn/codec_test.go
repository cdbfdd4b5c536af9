package grn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/model_v4.bin")

// tinyModel is the model behind testdata/model_v1.bin (written by version
// 1, frozen) and, encoded now, the model without evidence of version 2.
func tinyModel() *Model {
	hp := hyper{Bins: 8, Conv1: 2, Conv2: 2, Hidden: 4, Embed: 3, Head: 2, Neighbours: 1, Views: 2, Genes: 5}
	return newModel(hp, rand.New(rand.NewPCG(1, 2)))
}

// tinyEvidenceModel is the model behind testdata/model_v2.bin (written by
// version 2, frozen).
func tinyEvidenceModel() *Model {
	hp := tinyModel().hp
	hp.Evidence = 2
	m := newModel(hp, rand.New(rand.NewPCG(1, 2)))
	for i := range m.evLin.W {
		m.evLin.W[i] = float32(i) - 0.5
	}
	return m
}

// tinyCommittee is the model behind testdata/model_v3.bin (written by
// version 3, frozen): the evidence model with a second member.
func tinyCommittee() *Model {
	m := tinyEvidenceModel()
	m.hp.Members = 2
	c := newModel(m.hp, rand.New(rand.NewPCG(5, 6)))
	m.members = []*Model{c}
	return m
}

// tinyBlended is the model behind testdata/model_v4.bin: the committee
// with a late-fusion blend per member.
func tinyBlended() *Model {
	m := tinyCommittee()
	m.hp.Blend = true
	m.members[0].hp.Blend = true
	m.blend = [3]float32{0.75, 2.5, -1.25}
	m.members[0].blend = [3]float32{1.5, -0.5, 0.25}
	return m
}

func TestCodecRoundTrip(t *testing.T) {
	withEv := smallHyper(3, false)
	withEv.Evidence = 4
	committee := withEv
	committee.Members = 3
	blended := committee
	blended.Blend = true
	for _, hp := range []hyper{tinyModel().hp, smallHyper(3, true), withEv, committee, blended} {
		rng := rand.New(rand.NewPCG(3, 4))
		m := newModel(hp, rng)
		for range hp.Members - 1 {
			m.members = append(m.members, newModel(hp, rng))
		}
		for i, c := range m.committee() {
			if hp.Blend {
				c.blend = [3]float32{float32(i) + 0.5, -1, 2}
			}
		}
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var d Model
		if err := d.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if d.hp != m.hp {
			t.Fatalf("header %+v, want %+v", d.hp, m.hp)
		}
		for i, c := range d.committee() {
			if c.blend != m.committee()[i].blend {
				t.Fatalf("network %d blend %v, want %v", i, c.blend, m.committee()[i].blend)
			}
		}
		b2, _ := d.MarshalBinary()
		if !bytes.Equal(b, b2) {
			t.Fatal("re-encoding differs")
		}
	}
}

func TestCodecGolden(t *testing.T) {
	path := filepath.Join("testdata", "model_v4.bin")
	want, err := tinyBlended().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("version 4 encoding changed: a new layout needs a new version (and -update)")
	}
	if CodecVersion != 4 {
		t.Fatalf("CodecVersion %d: add a golden file for it and keep reading versions 1 to 4", CodecVersion)
	}
}

// decodeFixture decodes the frozen testdata/model_vN.bin of a past
// version and checks that it re-encodes, in the current version, as the
// same model as want.
func decodeFixture(t *testing.T, version byte, want *Model) *Model {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", fmt.Sprintf("model_v%d.bin", version)))
	if err != nil {
		t.Fatal(err)
	}
	if b[8] != version {
		t.Fatalf("fixture version %d", b[8])
	}
	var m Model
	if err := m.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	got, _ := m.MarshalBinary()
	w, _ := want.MarshalBinary()
	if !bytes.Equal(got, w) || w[8] != CodecVersion {
		t.Fatalf("version %d model does not re-encode as the same model in the current version", version)
	}
	return &m
}

// refuseAsVersion relabels newer's encoding as an older version (with a
// valid checksum) and checks the decoder refuses it: that version's header
// may not claim what newer has (what).
func refuseAsVersion(t *testing.T, newer *Model, version byte, what string) {
	t.Helper()
	b, _ := newer.MarshalBinary()
	bad := bytes.Clone(b)
	bad[8] = version
	binary.LittleEndian.PutUint32(bad[len(bad)-4:], crc32.Checksum(bad[:len(bad)-4], castagnoli))
	var m Model
	if err := m.UnmarshalBinary(bad); !errors.Is(err, ErrFormat) {
		t.Fatalf("version %d with %s: err %v", version, what, err)
	}
}

// TestCodecReadsV3 decodes the frozen version 3 fixture (a committee
// without blends): the same weights as tinyCommittee; a version 3 header
// may not claim a blend.
func TestCodecReadsV3(t *testing.T) {
	m := decodeFixture(t, 3, tinyCommittee())
	if len(m.members) != 1 || m.hp.Blend {
		t.Fatalf("version 3 model: %d extra members, blend %v", len(m.members), m.hp.Blend)
	}
	for _, c := range m.committee() {
		if c.blend != blendIdentity {
			t.Fatalf("version 3 network with blend %v", c.blend)
		}
	}
	refuseAsVersion(t, tinyBlended(), 3, "a blend")
}

// TestCodecReadsV2 decodes the frozen version 2 fixture (one network with
// evidence): the same weights as tinyEvidenceModel; a version 2 header may
// not claim members.
func TestCodecReadsV2(t *testing.T) {
	m := decodeFixture(t, 2, tinyEvidenceModel())
	if len(m.members) != 0 {
		t.Fatalf("version 2 model with %d extra members", len(m.members))
	}
	refuseAsVersion(t, tinyCommittee(), 2, "members")
}

// TestCodecReadsV1 decodes the frozen version 1 fixture: the same weights
// as the model without evidence; a version 1 header may not claim
// evidence.
func TestCodecReadsV1(t *testing.T) {
	m := decodeFixture(t, 1, tinyModel())
	if m.Evidence() != 0 {
		t.Fatalf("version 1 model with %d evidence features", m.Evidence())
	}
	refuseAsVersion(t, tinyEvidenceModel(), 1, "evidence")
}

func TestCodecCorrupt(t *testing.T) {
	b, _ := tinyModel().MarshalBinary()
	cases := map[string][]byte{
		"empty":     nil,
		"magic":     append([]byte("XXXXXXXX"), b[8:]...),
		"version":   append(append(append([]byte(nil), b[:8]...), CodecVersion+1), b[9:]...),
		"truncated": b[:len(b)-5],
		"bit flip":  func() []byte { c := bytes.Clone(b); c[20] ^= 1; return c }(),
	}
	for name, c := range cases {
		var m Model
		if err := m.UnmarshalBinary(c); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err %v, want ErrFormat", name, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, name := range []string{"model_v1.bin", "model_v2.bin", "model_v3.bin", "model_v4.bin"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:20])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Also decode the input with a valid checksum, so the fuzzer
		// reaches the header and shape checks behind the CRC.
		if len(data) >= 4 {
			fixed := bytes.Clone(data)
			binary.LittleEndian.PutUint32(fixed[len(fixed)-4:], crc32.Checksum(fixed[:len(fixed)-4], castagnoli))
			var m Model
			if err := m.UnmarshalBinary(fixed); err != nil && !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
		}
		var m Model
		if err := m.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		// decode → encode → decode gives the same bytes.
		e, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var m2 Model
		if err := m2.UnmarshalBinary(e); err != nil {
			t.Fatal(err)
		}
		e2, _ := m2.MarshalBinary()
		if !bytes.Equal(e, e2) {
			t.Fatal("round trip differs")
		}
	})
}
