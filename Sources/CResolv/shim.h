#include <netinet/in.h>
#include <arpa/nameser.h>
#include <resolv.h>
