-- Named queries of the EPCIS 2.0 REST binding (POST /queries): each organisation names its own.

-- CreateTable
CREATE TABLE "NamedQuery" (
    "consortiumId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "definition" TEXT NOT NULL,
    "createdAt" TEXT NOT NULL,

    PRIMARY KEY ("consortiumId", "orgId", "name")
);
