module furrow.dev/test/cluster/real-node/pause

go 1.26
