-- Helpers shared by the pgTAP files (\i from the repository root).  They
-- are created in pg_temp inside each file's transaction and rolled back.

-- CRC-16/CCITT-FALSE lookup table: poly 0x1021, MSB first.
CREATE FUNCTION pg_temp.crc16_table() RETURNS int[] LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    t int[] := '{}';
    c int;
BEGIN
    FOR i IN 0 .. 255 LOOP
        c := i << 8;
        FOR k IN 1 .. 8 LOOP
            IF (c & 32768) <> 0 THEN
                c := ((c << 1) # 4129) & 65535;
            ELSE
                c := (c << 1) & 65535;
            END IF;
        END LOOP;
        t := t || c;
    END LOOP;
    RETURN t;
END $$;

-- CRC over raw bytes, init 0xFFFF, no final xor, 4 uppercase hex digits.
CREATE FUNCTION pg_temp.crc16(b bytea) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    tbl int[] := pg_temp.crc16_table();
    crc int := 65535;
BEGIN
    FOR i IN 0 .. length(b) - 1 LOOP
        crc := ((crc << 8) # tbl[(((crc >> 8) # get_byte(b, i)) & 255) + 1]) & 65535;
    END LOOP;
    RETURN upper(lpad(to_hex(crc), 4, '0'));
END $$;

-- The same over the UTF-8 bytes of a text.
CREATE FUNCTION pg_temp.crc16(s text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT pg_temp.crc16(convert_to(s, 'UTF8'))
$$;

-- EXPLAIN (COSTS OFF) of a query, as one text.
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    line text;
    res text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        res := res || line || E'\n';
    END LOOP;
    RETURN res;
END $$;
