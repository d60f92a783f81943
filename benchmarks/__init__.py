"""Benchmarks of LiRA and its peers: encoding efficiency (`bench_encode`) and approximate search (`bench_faiss`)."""
