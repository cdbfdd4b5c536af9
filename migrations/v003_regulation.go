package migrations

import bolt "go.etcd.io/bbolt"

// v003RegulationBucket is the bucket version 3 adds: regulatory networks,
// nested per network name (layout in the store's doc.go).
const v003RegulationBucket = "regulation"

// v003Regulation creates the regulation bucket. Stores before version 3
// hold no networks, so there is nothing to convert.
func v003Regulation(tx *bolt.Tx) error {
	_, err := tx.CreateBucketIfNotExists([]byte(v003RegulationBucket))
	return err
}
