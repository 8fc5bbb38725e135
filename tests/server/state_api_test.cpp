// Integration tests of server/state_api.cpp (written with the endpoints).
