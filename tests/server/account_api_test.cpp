// Integration tests of server/account_api.cpp (written with the endpoints).
