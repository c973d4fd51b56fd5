#include "testcluster.h"
