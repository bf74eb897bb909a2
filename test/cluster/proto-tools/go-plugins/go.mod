// protoc-gen-go and protoc-gen-go-grpc: generate the Go client of test/go-client from proto/.
// Apart from buf's module because buf pins an unreleased google.golang.org/protobuf.
module tas.ai/test/cluster/proto-tools/go-plugins

go 1.26.0

tool (
	google.golang.org/grpc/cmd/protoc-gen-go-grpc
	google.golang.org/protobuf/cmd/protoc-gen-go
)

require (
	google.golang.org/grpc/cmd/protoc-gen-go-grpc v1.6.2 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
