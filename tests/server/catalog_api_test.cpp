// Integration tests of server/catalog_api.cpp (written with the endpoints).
