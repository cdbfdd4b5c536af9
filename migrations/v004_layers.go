package migrations

import bolt "go.etcd.io/bbolt"

// The buckets version 4 adds (layouts in the store's doc.go): derived
// per-dataset layers (predicted expression), nested per dataset and layer
// name, and model records (the provenance of a model blob), by model name.
const (
	v004LayersBucket = "layers"
	v004ModelsBucket = "models"
)

// v004Layers creates the layers and models buckets. Stores before version
// 4 hold no derived layers and no model records, so there is nothing to
// convert.
func v004Layers(tx *bolt.Tx) error {
	for _, name := range []string{v004LayersBucket, v004ModelsBucket} {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return err
		}
	}
	return nil
}
