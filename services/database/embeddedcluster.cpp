#include "database/embeddedcluster.h"
