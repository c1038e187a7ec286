-- Spring PetClinic's schema (spring-petclinic-rest db/mysql/schema.sql) in
-- SQLite. AUTOINCREMENT keeps ids from being reused after deletes, as MySQL's
-- AUTO_INCREMENT does. Names compare case-insensitively (NOCASE), as they do
-- under MySQL's default collation, so the last-name prefix search can use
-- its index.

CREATE TABLE vets (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  first_name VARCHAR(30),
  last_name  VARCHAR(30) COLLATE NOCASE
);
CREATE INDEX vets_last_name ON vets (last_name);

CREATE TABLE specialties (
  id   INTEGER PRIMARY KEY AUTOINCREMENT,
  name VARCHAR(80)
);
CREATE INDEX specialties_name ON specialties (name);

CREATE TABLE vet_specialties (
  vet_id       INTEGER NOT NULL REFERENCES vets (id) ON DELETE CASCADE,
  specialty_id INTEGER NOT NULL REFERENCES specialties (id) ON DELETE CASCADE,
  UNIQUE (vet_id, specialty_id)
);
CREATE INDEX vet_specialties_specialty_id ON vet_specialties (specialty_id);

CREATE TABLE types (
  id   INTEGER PRIMARY KEY AUTOINCREMENT,
  name VARCHAR(80)
);
CREATE INDEX types_name ON types (name);

CREATE TABLE owners (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  first_name VARCHAR(30),
  last_name  VARCHAR(30) COLLATE NOCASE,
  address    VARCHAR(255),
  city       VARCHAR(80),
  telephone  VARCHAR(20)
);
CREATE INDEX owners_last_name ON owners (last_name);

CREATE TABLE pets (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       VARCHAR(30) COLLATE NOCASE,
  birth_date DATE,
  type_id    INTEGER NOT NULL REFERENCES types (id) ON DELETE CASCADE,
  owner_id   INTEGER NOT NULL REFERENCES owners (id) ON DELETE CASCADE
);
CREATE INDEX pets_name ON pets (name);
CREATE INDEX pets_owner_id ON pets (owner_id);
CREATE INDEX pets_type_id ON pets (type_id);

CREATE TABLE visits (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  pet_id      INTEGER NOT NULL REFERENCES pets (id) ON DELETE CASCADE,
  visit_date  DATE,
  description VARCHAR(255)
);
CREATE INDEX visits_pet_id ON visits (pet_id);

CREATE TABLE users (
  username VARCHAR(20) NOT NULL PRIMARY KEY,
  password VARCHAR(100) NOT NULL, -- Java: 60; a "{bcrypt}"-prefixed hash is 68
  enabled  BOOLEAN NOT NULL DEFAULT 1
);

CREATE TABLE roles (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  username VARCHAR(20) NOT NULL REFERENCES users (username) ON DELETE CASCADE,
  role     VARCHAR(20) NOT NULL,
  UNIQUE (role, username)
);
CREATE INDEX roles_username ON roles (username);
