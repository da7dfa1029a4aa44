-- The rows of pets.csv, for trying kopf out: build/bin/kopf -f data/samples/pets.sql
CREATE TABLE IF NOT EXISTS pets (
  id INT PRIMARY KEY,
  name TEXT NOT NULL,
  species TEXT,
  weight DOUBLE,
  vaccinated BOOLEAN
);
INSERT INTO pets VALUES
  (1, 'Rex', 'dog', 31.5, TRUE),
  (2, 'Tom', 'cat', 4.2, TRUE),
  (3, 'Bubbles, the second', 'fish', 0.1, FALSE),
  (4, 'Nibbles', 'hamster', NULL, FALSE),
  (5, 'Sir "Fluffy"', 'cat', 5.8, TRUE);
SELECT species, count(*), avg(weight) FROM pets GROUP BY species ORDER BY species;
