// Package weaviate serves a store's embedding spaces from a Weaviate
// cluster when one machine is not enough: Sync copies a space's vectors,
// keys and names into a Weaviate collection, and Backend routes the query
// engine's searches to it. The store stays the system of record; the
// cluster is a replica of one space at a recorded generation.
//
// # Basics
//
// Client talks to Weaviate's REST and GraphQL API (/v1/schema,
// /v1/batch/objects, /v1/aliases, /v1/graphql) with net/http only: the
// official Go client (github.com/weaviate/weaviate-go-client/v5) pulls in
// gRPC, protobuf, go-openapi and Weaviate's own module, far more than the
// seven calls used here need.
//
// One space is one collection (vectorizer none; cosine distance, or "dot"
// for the inner-product space cell-genes, as the embedded index; its HNSW
// parameters; a shard count and a replication factor) reached through an
// alias, DefaultAlias(space). Each object is one vector:
// its UUID is derived from (space, entity key) (ObjectID), and its
// properties are the entity key (text: keys of vocab.Consensus do not fit
// an int64), dataset id and name, entity id, barcode or gene symbol, model
// version and the space generation at sync time.
//
// # Consistency
//
// The store is the source of truth; the cluster is eventually consistent
// with it. Sync records in the store (blob kind BlobKind) the collection,
// the generation and each vector set's count, model version and write time
// it sent. A later Sync sends only the sets that changed, deletes those the
// store dropped, and, when the model versions of the space change, fills a
// new collection and moves the alias to it in one step (readers see the
// old vectors or the new ones, never a mix), then deletes the old one. A
// training or append that commits while a sync reads the sets stops it
// with ErrChanged before any set of the new generation is sent; the alias
// and the recorded state stay, and the next sync starts over from the new
// generation. Deletes of a dropped dataset repeat until the server's
// per-request cap (QUERY_MAXIMUM_RESULTS) no longer cuts them short.
// Every sync ends by comparing per-dataset counts in the cluster with the
// store's. Writes use consistency ALL by default, so every replica has a
// batch before the next is sent.
//
// # Caveats
//
//   - Queries through Backend answer from the generation last synced, and
//     name hits from the store's current state: sync after every append or
//     training, or the two may disagree.
//   - A search filter is a Go function and stays on this side: Backend
//     over-fetches (see Backend.Search).
//   - Obs columns are not sent as properties yet; only dataset filters
//     exist on the cluster side.
//   - Weaviate cannot change a collection's shard count or replication
//     factor; a new value takes effect only with a new collection.
package weaviate
