{
  "targets": [
    {
      "target_name": "seek_data",
      "sources": ["seek_data.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
